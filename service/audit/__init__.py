"""The audit log: every state-changing staff action, who did it, when and from where.

Other console pages call ``record`` for publish, import, export and report requests.
"""

from service.audit.service import Actor, record

__all__ = ["Actor", "record"]
