"""Management: pure Python over a month's metric figures and versioned configuration.

- ``versions``: YYYY-MM months and the version in force in a month;
- ``plans``: KPI plans and indicators, the default plans and the two templates;
- ``config``: everything a supervisor edits (plans, pay terms, grading rules, allowances,
  adjustments), loaded from YAML;
- ``month``: a month's figures (the engine run with the settled as_of, ratings, targets);
- ``scorecard``, ``pay``, ``grading``, ``ranking``: the rules of management.md;
- ``results``: the JSON contracts of ``jinpai score | pay | grade | rank``; ``sheets``: their
  terminal tables and Excel sheets.
"""
