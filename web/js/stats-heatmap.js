// The process heat map: the BPMN diagram (bpmn-js NavigatedViewer, window.BpmnJS) with one overlay per node
// from GET /evaluation/heatmap: 经过数, 中位用时 (工作时), 超时占比; the overlay's colour follows the overdue share.

export function heatClass(share) {
  if (share >= 0.5) return 'cb-heat-high';
  if (share >= 0.2) return 'cb-heat-mid';
  return 'cb-heat-low';
}

function overlayHtml(figures, labels) {
  const share = Math.round((figures.overdue_share || 0) * 100);
  const hours = figures.median_work_hours == null ? '—' : figures.median_work_hours;
  const div = document.createElement('div');
  div.className = `cb-heat ${heatClass(figures.overdue_share || 0)}`;
  div.title = labels.formula;
  div.textContent = `${labels.passed} ${figures.passed} · ${labels.median} ${hours}h · ${labels.overdue} ${share}%`;
  return div;
}

export class HeatmapView {
  constructor(container) {
    this.viewer = new window.BpmnJS({ container });
  }

  // nodes: {node_id: {passed, median_work_hours, overdue_share}}; ids missing from the diagram are skipped.
  async show(xml, nodes, labels) {
    if (xml !== this.xml) {
      await this.viewer.importXML(xml);
      this.xml = xml;
    }
    const overlays = this.viewer.get('overlays');
    const registry = this.viewer.get('elementRegistry');
    overlays.remove({ type: 'cb-heat' });
    for (const [id, figures] of Object.entries(nodes || {})) {
      const element = registry.get(id);
      if (!element) continue;
      overlays.add(id, 'cb-heat', { position: { bottom: -4, left: -10 }, html: overlayHtml(figures, labels) });
    }
    this.viewer.get('canvas').zoom('fit-viewport', 'auto');
  }

  destroy() {
    this.viewer.destroy();
  }
}
