"""The organisation's pages, thin: parse → selector or service → render.

- ``account``: log in and out, home, profile, password, access tokens, language
- ``structure``: the group, business units and the team tree
- ``people``: users, their teams and roles
- ``roles``: roles with their permission matrix, and the audit trail
- ``records``: the history and "why can I see this?" panels of every record page
"""
