"""citybpm engine: BPMN runtime on SpiffWorkflow. Knows nothing of HTTP or Flask."""
