"""The use cases every surface calls (CLI, API, web), one module per area, taking typed inputs
(``date``, ``datetime``, ``RuleSettings``, paths) and the installation's settings; surfaces read
what a person typed (:mod:`jinpai.services.inputs`), call these, and render what they return."""
