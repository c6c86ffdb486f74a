"""The review desk: server-rendered pages for caseworkers and auditors under /desk/.

Pages sign in with a user's token, keep a server-side session, and do their work
through the API's own handlers, so permissions, the two-person rule and audit events
are the API's.
"""

from service.desk.routes import router

__all__ = ["router"]
