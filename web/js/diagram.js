// The read-only BPMN diagram of a case: bpmn-js's NavigatedViewer (the page loads
// /vendor/bpmn-js/bpmn-navigated-viewer.production.min.js, which defines window.BpmnJS) with each node's
// state as a marker class, coloured in app.css. The modeler may import this module to show a version.

// node state from GET /cases/<no>/diagram → marker class on the element
export const MARKERS = {
  completed: 'cb-node-completed',
  active: 'cb-node-active',
  overdue: 'cb-node-overdue',
};

export class DiagramView {
  constructor(container) {
    this.viewer = new window.BpmnJS({ container });
    this.marked = [];
  }

  // Shows `xml` with `nodes` ({node_id: completed|active|overdue}) marked; ids missing from the diagram
  // (e.g. a node of a called process) are skipped.
  async show(xml, nodes = {}) {
    if (xml !== this.xml) {
      await this.viewer.importXML(xml);
      this.xml = xml;
      this.marked = [];
    }
    this.mark(nodes);
    this.viewer.get('canvas').zoom('fit-viewport', 'auto');
  }

  mark(nodes) {
    const canvas = this.viewer.get('canvas');
    const registry = this.viewer.get('elementRegistry');
    for (const [id, marker] of this.marked) canvas.removeMarker(id, marker);
    this.marked = [];
    for (const [id, state] of Object.entries(nodes || {})) {
      const marker = MARKERS[state];
      if (marker && registry.get(id)) {
        canvas.addMarker(id, marker);
        this.marked.push([id, marker]);
      }
    }
  }

  destroy() {
    this.viewer.destroy();
  }
}
