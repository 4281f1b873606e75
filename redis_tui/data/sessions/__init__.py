"""Web framework sessions stored in Redis: find them, decode them, revoke, extend and edit them.

Detection sniffs the payload first and uses the key only as a hint. Every decode goes through
:mod:`redis_tui.data.codecs`, which never executes data (no ``pickle.loads``, no runtime of
another language).

Public API::

    FRAMEWORKS, DEFAULT_PATTERNS, DEFAULT_USER_PATHS, MAX_VALUE_BYTES, MAX_HASH_FIELDS
    @dataclass Session                      # one decoded session
    @dataclass(frozen=True) SessionPatterns # SCAN globs (include / exclude), configurable
    detect(key, redis_type, value, ...) -> Session | None          # pure
    find_user(data, user_paths) -> str | None                      # pure
    encode_edit(session, raw, path, new_value) -> bytes            # pure, exact re-encoding
    reencode(session, raw) -> bytes                                # == raw when writable
    to_json(session) -> dict                                       # the headless format
    async find_sessions(client, patterns=None, ...) -> AsyncIterator[list[Session]]
                                        # patterns=None and no match: discovery
    async discover(client, *, delimiter, sample, pacer, names) -> Discovery
    Discovery, Found, Skipped           # where sessions were found, what was skipped
    parse_cookie(text) -> list[CookieGuess]                        # pure
    async find_by_cookie(client, text, *, patterns=None, ...) -> CookieLookup
    build_report(sessions, now) -> HealthReport; report_json(r); report_text(r)   # pure
    async load_session(client, key, ...) -> Session | None
    async revoke(client, guard, keys) -> int
    async sessions_of_user(client, patterns, user_id) -> list[Session]
    async revoke_user(client, guard, patterns, user_id, *, expected=None) -> list[bytes]
    async extend(client, guard, key, ttl_ms) -> EditResult
    async edit_attribute(client, guard, session, path, new_value) -> EditResult
    SessionAction = RevokeSessions | RevokeUser | ExtendSession | EditSessionAttribute
    async apply_session_action(client, guard, action) -> SessionActionDone

Frameworks (``Session.framework``): ``express``, ``flask``, ``django``, ``php``, ``rails``,
``laravel``, ``starlette``, ``aiohttp``, ``spring``, ``symfony``, ``koa``, ``fastify``, or
``unknown`` (a payload of a known encoding shaped like a session that matches no rule, see
``stores_generic``). Formats
(``Session.format``): ``json``, ``msgpack``, ``pickle``, ``php_session`` (PHP's ``php``
handler), ``php_serialize``, ``php_binary``, ``igbinary``, ``ruby_marshal``, ``java`` (a Spring
hash of JDK-serialized values), ``empty``, ``text`` or ``binary`` (undecodable).

Modules, bottom up: ``model`` (Session, patterns, limits), ``hints`` (key names), ``users``,
``normalise``, ``encode`` (exact re-encoding), ``stores_*`` (one per store family,
``stores_generic`` for any other), ``spring``, ``detect``, ``grouping`` (discovery's
bookkeeping), ``scan``, ``discover``, ``cookie``, ``report``, ``actions``, ``output``.
"""

from redis_tui.data.sessions.actions import (
    EditSessionAttribute,
    ExtendSession,
    RevokeSessions,
    RevokeUser,
    SessionAction,
    SessionActionDone,
    apply_session_action,
    edit_attribute,
    extend,
    revoke,
    revoke_user,
    sessions_of_user,
)
from redis_tui.data.sessions.cookie import CookieGuess, CookieLookup, find_by_cookie, parse_cookie
from redis_tui.data.sessions.detect import detect
from redis_tui.data.sessions.discover import Discovery, Found, Skipped, discover
from redis_tui.data.sessions.encode import WRITABLE_FORMATS, decode_exact, encode_edit, reencode
from redis_tui.data.sessions.model import (
    DEFAULT_PATTERNS,
    DEFAULT_USER_PATHS,
    FRAMEWORKS,
    MAX_HASH_FIELDS,
    MAX_VALUE_BYTES,
    EditRefused,
    JSONValue,
    Session,
    SessionPatterns,
)
from redis_tui.data.sessions.output import to_json
from redis_tui.data.sessions.report import HealthReport, build_report, report_json, report_text
from redis_tui.data.sessions.scan import ScanStats, find_sessions, load_session
from redis_tui.data.sessions.users import find_user

__all__ = [
    "DEFAULT_PATTERNS",
    "DEFAULT_USER_PATHS",
    "FRAMEWORKS",
    "MAX_HASH_FIELDS",
    "MAX_VALUE_BYTES",
    "WRITABLE_FORMATS",
    "CookieGuess",
    "CookieLookup",
    "Discovery",
    "EditRefused",
    "EditSessionAttribute",
    "ExtendSession",
    "Found",
    "HealthReport",
    "JSONValue",
    "RevokeSessions",
    "RevokeUser",
    "ScanStats",
    "Session",
    "SessionAction",
    "SessionActionDone",
    "SessionPatterns",
    "Skipped",
    "apply_session_action",
    "build_report",
    "decode_exact",
    "detect",
    "discover",
    "edit_attribute",
    "encode_edit",
    "extend",
    "find_by_cookie",
    "find_sessions",
    "find_user",
    "load_session",
    "parse_cookie",
    "reencode",
    "report_json",
    "report_text",
    "revoke",
    "revoke_user",
    "sessions_of_user",
    "to_json",
]
