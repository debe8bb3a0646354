"""城管综合执法 support: the 法律法规库, numbered 文书, and links between disposal and enforcement cases."""
