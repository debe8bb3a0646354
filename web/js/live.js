// Work arriving while a page is open: GET /api/v1/events/stream read as server-sent events. The server ends
// each response after a few minutes and may be restarting, so the reader reconnects, backing off after
// failures (1 s doubling up to 30 s) and at once after a clean end.
import { streamEvents } from './api.js';

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

// onTask({task_id, case_no, node_id, name}) per `task` event. Returns stop().
export function watchTasks(onTask, { onState = () => {} } = {}) {
  const controller = new AbortController();
  let delay = FIRST_DELAY_MS;

  async function run() {
    while (!controller.signal.aborted) {
      try {
        onState('connected');
        await streamEvents('/events/stream', (type, data) => {
          delay = FIRST_DELAY_MS;  // the connection works: the next failure starts the backoff afresh
          if (type === 'task') onTask(data);
        }, { signal: controller.signal });
        delay = FIRST_DELAY_MS;
      } catch (error) {
        if (controller.signal.aborted) return;
        onState('retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
    }
  }

  run();
  return () => controller.abort();
}
