"""The questions of `mcpauth init`: answers (flags, config file, prompts) → Spec.

Pure but for the injected Prompter: tests pass a scripted one, the CLI a questionary one.
Every answer has a key; a key already given by a flag or the config file is not asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.mcp.platforms import MIN_PORT, PLATFORMS
from mcpauth_wizard.provision import registration
from mcpauth_wizard.provision.answers import (
    ANSWER_KEYS,
    DEFAULT_PLATFORMS,
    FROM_FILE,
    with_recorded,
)
from mcpauth_wizard.provision.prompts import NEW, URL, NoPrompter, Option, Prompter
from mcpauth_wizard.provision.questions import PROMPT, precheck_scalars
from mcpauth_wizard.provision.spec import (
    USER_SCOPES,
    NewPool,
    Spec,
    check_email,
    check_pool_name,
    check_scope_names,
    check_tier,
    client_specs,
    normalize_mcp_url,
)


def _free_name(wanted: str, taken: Callable[[str], bool], *, limit: int = 20) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`… : the first one that is not taken."""
    for n in range(1, limit + 1):
        candidate = wanted if n == 1 else f"{wanted}-{n}"
        if not taken(candidate):
            return candidate
    return ""  # no free suggestion: the user types one


PICKER_DETAILS = 2  # pools described before the first prompt (each costs two calls)


POOL_ROW_WIDTH = 76  # a pool row fits 80 columns beside questionary's 3-character pointer


def columns(rows: list[list[str]], width: int = POOL_ROW_WIDTH, *, first_max: int = 24) -> list[str]:
    """Rows aligned in columns within `width`: the first column (a name) is shortened with …
    past `first_max`; columns after the second are dropped from the right while a row is too
    wide; the second (an id) is never cut."""
    def cut(text: str, room: int) -> str:
        return text if len(text) <= room else text[:max(room - 1, 1)] + "…"

    if not rows:
        return []
    rows = [[cut(r[0], first_max), *r[1:]] for r in rows]
    count = max(map(len, rows))
    while True:
        kept = [[c for c in r[:count]] for r in rows]
        widths = [max((len(r[i]) for r in kept if i < len(r)), default=0) for i in range(count)]
        lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in kept]
        if count <= 2 or max(map(len, lines)) <= width:
            return lines
        count -= 1


def _pool_options(aws: Any, pools: list[Any]) -> list[Option]:
    """Names from ListUserPools; details only for a handful (the chosen one is described
    after the choice), so an account with a thousand pools shows its first prompt at once.
    One row a pool, aligned in columns, within 80 columns."""
    from mcpauth_wizard.aws import app_clients, user_pools

    def detail(pool: user_pools.PoolSummary) -> list[str]:
        described = user_pools.describe_user_pool(aws, pool.id)
        clients = len(app_clients.list_clients(aws, pool.id))
        domain = described.get("CustomDomain") or described.get("Domain") or "no domain"
        tier = described.get("UserPoolTier") or "ESSENTIALS"
        return [pool.name, pool.id, tier, f"{clients} client{'s' if clients != 1 else ''}", domain]

    if len(pools) <= PICKER_DETAILS:
        rows = [detail(p) for p in pools]
    else:
        rows = [[p.name, p.id, f"created {p.created:%Y-%m-%d}" if p.created else ""] for p in pools]
    return [Option(NEW, "Create a new user pool"),
            *(Option(p.id, line) for p, line in zip(pools, columns(rows), strict=True))]


def ask(answers: dict[str, Any], prompter: Prompter, aws: Any,
        recorded: dict[str, Any] | None = None, *, use_recorded: bool = False,
        progress: dict[str, Any] | None = None) -> Spec:
    """Fill every missing answer (asking only what is missing) and build the Spec.

    `recorded` (mcpauth.toml) answers a question outright when there is no terminal or
    `use_recorded` (--yes); otherwise each recorded answer is the question's default.
    `progress` receives each answer as it is given: what a Ctrl-C midway leaves to resume.
    """
    from mcpauth_wizard.aws import agentcore, domains, user_pools

    recorded = dict(recorded or {})
    if not prompter.can_ask or use_recorded:
        answers, recorded = with_recorded(answers, recorded), {}
    a = progress if progress is not None else {}
    a.update(answers)
    precheck(a)

    def default(key: str, fallback: Any) -> tuple[Any, str]:
        """The default of a question and the note that says where it came from."""
        if key in recorded:
            return recorded[key], FROM_FILE
        return fallback, ""

    # 2. the user pool
    if not prompter.can_ask:  # no terminal: name what is missing before any AWS call
        if not a.get("pool_id") and not a.get("new_pool"):
            NoPrompter()._missing("pool")
        if not a.get("gateway_id") and not a.get("mcp_url"):
            NoPrompter()._missing("mcp_server")
    if not a.get("pool_id") and not a.get("new_pool"):
        pools = user_pools.list_user_pools(aws)
        chosen, note = default("pool_id", None)
        options = _pool_options(aws, pools)
        if chosen is not None:
            options = [Option(o.value, o.title + FROM_FILE) if o.value == chosen else o for o in options]
        choice = prompter.select("pool", PROMPT["pool"] + note, options, chosen)
        if choice == NEW:
            names = {p.name for p in pools}
            a["new_pool"] = prompter.text("new_pool", PROMPT["new_pool"],
                                          _free_name("mcp-users", names.__contains__),
                                          validate=_validator(check_pool_name))
        else:
            a["pool_id"] = choice
    if a.get("pool_id") and a.get("new_pool"):
        raise BadInput("pass either --pool-id or --new-pool, not both")
    new_pool = None
    existing_domain = None
    pool_tier = None
    pool_name = a.get("new_pool") or ""
    if a.get("new_pool"):
        if "tier" not in a:
            a["tier"] = prompter.select("tier", PROMPT["tier"], [
                Option("ESSENTIALS", "ESSENTIALS  managed login, passkeys, client registration"),
                Option("PLUS", "PLUS        ESSENTIALS and threat protection; costs more"),
                Option("LITE", "LITE        costs least; classic hosted UI only"),
            ], "ESSENTIALS")
        if "admin_only" not in a:
            a["admin_only"] = prompter.confirm("admin_only", PROMPT["admin_only"], True)
        new_pool = NewPool(check_pool_name(a["new_pool"]), check_tier(a.get("tier", "ESSENTIALS")),
                           bool(a.get("admin_only", True)))
    else:
        user_pools.check_pool_id(a["pool_id"])
        pool = user_pools.describe_user_pool(aws, a["pool_id"])
        existing_domain = pool.get("CustomDomain") or pool.get("Domain")
        pool_tier = pool.get("UserPoolTier")
        pool_name = pool.get("Name") or ""
        prompter.say(f"User pool: {pool.get('Name')} ({a['pool_id']}), "
                     f"{pool.get('UserPoolTier') or 'ESSENTIALS'}")
    lite = (new_pool.tier if new_pool else pool_tier) == "LITE"
    if lite and "passkeys" not in a and "classic_login" not in a:
        # LITE has neither managed login nor passkeys: nothing to ask (asking led to an error)
        a["passkeys"], a["classic_login"] = False, True
        prompter.say("Tier LITE: the classic hosted UI, no passkeys.")
    if "passkeys" not in a:
        fallback, note = default("passkeys", False)
        a["passkeys"] = prompter.confirm("passkeys", PROMPT["passkeys"] + note,
                                         bool(fallback))
    if new_pool and new_pool.tier == "LITE" and (a["passkeys"] or not a.get("classic_login")):
        raise BadInput("tier LITE has no managed login or passkeys; accepted: ESSENTIALS or PLUS "
                       "(or LITE with --classic-login and no passkeys)")
    # 3. the login domain
    if existing_domain:
        version = (domains.describe_domain(aws, existing_domain) or {}).get("ManagedLoginVersion") or 1
        prompter.say(f"Login domain: {existing_domain} (kept; a pool has one domain; "
                     f"{'managed login' if version == 2 else 'classic hosted UI'})")
        if "classic_login" not in a:  # changing it would change every client of the pool
            a["classic_login"] = version == 1 and not a["passkeys"]
    elif not a.get("domain"):
        suggestion, note = default("domain", "")
        if not suggestion:  # from the pool's name, new or existing
            base = domains.suggest_domain_prefix(pool_name or "mcp")
            suggestion = _free_name(base, lambda p: domains.describe_domain(aws, p) is not None,
                                    limit=5)
        # behind an endpoint that is not AWS (the sandbox), the host is AWS's, not this one's
        on_aws = " on AWS" if aws.resolved_endpoint else ""

        def host(prefix: str) -> str:
            return "https://" + domains.login_host(prefix, aws.region_name)

        prompter.explain("domain", f"Creates{on_aws} {host(suggestion or 'PREFIX')}")
        a["domain"] = prompter.text("domain", PROMPT["domain"] + note, suggestion,
                                    validate=_domain_validator(aws))
        prompter.say(f"Login page{on_aws}: {host(a['domain'])}")
    if "classic_login" not in a:
        fallback, note = default("classic_login", False)
        a["classic_login"] = False if a["passkeys"] else not prompter.confirm(
            "managed_login", PROMPT["managed_login"] + note, not fallback)
    if a["passkeys"] and a["classic_login"]:
        raise BadInput("passkeys need managed login; drop --classic-login or --passkeys")
    # 4. the MCP server
    if not a.get("gateway_id") and not a.get("mcp_url"):
        gateways = agentcore.list_gateways(aws)
        chosen, note = default("gateway_id", URL if "mcp_url" in recorded else None)
        options = [Option(g.id, f"{g.name}  {g.id}  {g.status}  auth: {g.authorizer_type}"
                          + (FROM_FILE if g.id == chosen else "")) for g in gateways]
        if "mcp_url" in recorded:
            note = FROM_FILE
        choice = prompter.select("mcp_server", PROMPT["mcp_server"] + note,
                                 [*options, Option(URL, "Enter a URL (FastMCP on Lambda, API Gateway, …)")],
                                 chosen if chosen is not None else (None if options else URL))
        if choice == URL:
            url, note = default("mcp_url", "")
            a["mcp_url"] = prompter.text("mcp_url", PROMPT["mcp_url"] + note, url,
                                         validate=_validator(lambda u: normalize_mcp_url(u, gateway=False)))
        else:
            a["gateway_id"] = choice
    gateway = bool(a.get("gateway_id"))
    if gateway:
        gw = agentcore.get_gateway(aws, a["gateway_id"])
        raw_url = agentcore.mcp_url(gw)
        if a.get("mcp_url") and a["mcp_url"].rstrip("/") != raw_url:
            raise BadInput(f"--mcp-url {a['mcp_url']} is not the gateway's URL {raw_url}")
    else:
        raw_url = a["mcp_url"]
    mcp_url, warnings = normalize_mcp_url(raw_url, gateway=gateway)
    # 5. scopes
    if not a.get("scopes"):
        fallback, note = default("scopes", ["invoke"])
        def names(text: str) -> list[str]:
            return [s.strip() for s in text.split(",") if s.strip()]

        text = prompter.text("scopes", PROMPT["scopes"] + note, ", ".join(fallback),
                             validate=_validator(lambda t: check_scope_names(tuple(names(t)), mcp_url)))
        a["scopes"] = names(text)
    scopes = check_scope_names(tuple(a["scopes"]), mcp_url)
    # 6. platforms and their clients
    if not a.get("platforms"):
        fallback, note = default("platforms", DEFAULT_PLATFORMS)
        a["platforms"] = prompter.checkbox(
            "platforms", PROMPT["platforms"] + note,
            [Option(p.name, p.title) for p in PLATFORMS.values() if p.name != "doctor"],
            list(fallback), required=True)
        if not a["platforms"]:
            raise BadInput("no MCP client chosen; pick at least one")
    choice = _registration(a, prompter, new_pool.tier if new_pool else pool_tier,
                           recorded.get("registration"))
    static, registering = registration.split_platforms(choice, list(a["platforms"]))
    for name in static:
        if name in PLATFORMS and PLATFORMS[name].no_pre_registered:
            raise BadInput(f"{PLATFORMS[name].title} cannot use a pre-registered client: "
                           f"{PLATFORMS[name].no_pre_registered}")
    ports = {k: _port(v) for k, v in (a.get("ports") or {}).items()}
    recorded_ports = recorded.get("ports") or {}
    for name in static:
        platform = PLATFORMS.get(name)
        if platform and platform.needs_port and platform.default_port is None and name not in ports:
            recorded_port = recorded_ports.get(name)
            prompter.explain(f"port_{name}", f"{platform.title} listens here for the sign-in; "
                             "its panel's command sets it" + (
                                 "" if recorded_port or not platform.proposed_port else
                                 f" (proposed: {platform.proposed_port}; any free port works)"))
            port = prompter.text(f"port_{name}", PROMPT["port_PLATFORM"].replace("PLATFORM", platform.title)
                                 + (FROM_FILE if recorded_port else ""),
                                 str(recorded_port or platform.proposed_port or ""),
                                 validate=_validator(_port))
            ports[name] = _port(port)
    if "shared_client" not in a and len(static) > 1:
        fallback, note = default("shared_client", False)
        a["shared_client"] = not prompter.confirm(
            "separate_clients", PROMPT["separate_clients"] + note,
            not fallback)
    if "public" not in a and "secret" not in a and static:
        chosen = [PLATFORMS[p] for p in static if p in PLATFORMS]
        fallback, note = default("secret", [p.name for p in chosen if p.default_secret])
        with_secret = prompter.checkbox(
            "secret", PROMPT["secret"] + note,
            [Option(p.name, p.title) for p in chosen], list(fallback))
        a["secret"] = with_secret
        a["public"] = [p.name for p in chosen if p.name not in with_secret]
    clients = client_specs(static, shared=bool(a.get("shared_client")),
                           public=set(a.get("public") or []), secret=set(a.get("secret") or []),
                           ports=ports, mcp_url=mcp_url) if static else ()
    if "user_scopes" not in a:
        fallback, note = default("user_scopes", [])
        a["user_scopes"] = prompter.checkbox("user_scopes", PROMPT["user_scopes"] + note,
                                             [Option("email", "email"), Option("profile", "profile")],
                                             list(fallback))
    # 8. gateway wiring
    if gateway and "gateway_allowed_scopes" not in a and choice == "static":  # dcr: always
        # Yes for a gateway being wired to this pool: its challenge then names the scope, which
        # clients that send none (Claude Code) or every advertised one (Cursor) need with Cognito.
        # A gateway already trusting this pool keeps what it has (requiring it would lock out
        # tokens without the scope: a breaking change).
        current = agentcore.jwt_authorizer(gw)
        wired = bool(a.get("pool_id")) and str(a.get("pool_id")) in str(current.get("discoveryUrl") or "")
        fallback, note = default("gateway_allowed_scopes",
                                 bool(current.get("allowedScopes")) if wired else True)
        a["gateway_allowed_scopes"] = prompter.confirm(
            "gateway_allowed_scopes", PROMPT["gateway_allowed_scopes"] + note,
            bool(fallback))
    if gateway and "gateway_audience" not in a and prompter.can_ask:
        from mcpauth_wizard.provision.rules import audience_question

        question, detail = audience_question(list(a["platforms"]))
        prompter.explain("gateway_audience", detail)
        if prompter.confirm("gateway_audience", question, False):
            a["gateway_audience"] = True  # no: keep what the gateway has
    # 9. a first user
    if "first_user" not in a:
        a["first_user"] = prompter.text_optional("first_user", PROMPT["first_user"],
                                                 validate=_validator(check_email))
    first_user = check_email(a["first_user"]) if a.get("first_user") else None
    return Spec(
        mcp_url=mcp_url,
        pool_id=a.get("pool_id"),
        new_pool=new_pool,
        domain_prefix=a.get("domain"),
        managed_login_version=1 if a.get("classic_login") else 2,
        passkeys=bool(a["passkeys"]),
        gateway_id=a.get("gateway_id"),
        scopes=scopes,
        user_scopes=tuple(a["user_scopes"]),
        clients=clients,
        gateway_allowed_scopes=bool(a.get("gateway_allowed_scopes")),
        gateway_audience=a.get("gateway_audience"),
        first_user=first_user,
        registration=choice,
        dcr_platforms=tuple(registering),
        ports=tuple(sorted(ports.items())),
        warnings=tuple(warnings),
        answers={k: v for k, v in a.items() if k in ANSWER_KEYS and v not in (None, "", [], {})},
    )


def _registration(a: dict[str, Any], prompter: Prompter, tier: str | None,
                  recorded: str | None = None) -> str:
    """How clients get an id: pre-registered, registering themselves, or both."""
    # One default with or without a terminal: static, until sign-in through clients that
    # register themselves has been verified against real Cognito (the sandbox alone shows it)
    recommended = recorded or "static"
    if not prompter.can_ask and not a.get("registration"):
        return "static"  # without a terminal, today's setup unless --registration says otherwise
    def static(why: str) -> str:  # LITE: app clients instead of registration, and why
        prompter.say(why)
        a["registration"] = "static"
        return "static"

    if tier == "LITE" and a.get("new_pool") and not a.get("registration"):
        return static("Tier LITE: each platform gets an app client (registration needs ESSENTIALS).")
    note = FROM_FILE if recorded else ""
    choice = a.get("registration") or prompter.select("registration", PROMPT["registration"] + note, [
        Option("static", "static: an app client each; paste its id"),
        Option("dcr", "dcr: clients register; paste only the URL"),
        Option("both", "both: app clients where needed, dcr else"),
    ], recommended)
    if choice not in registration.REGISTRATIONS:
        raise BadInput(f"unknown registration {choice!r}; accepted: {', '.join(registration.REGISTRATIONS)}")
    if choice != "static" and tier == "LITE":
        if a.get("new_pool"):
            raise BadInput("client registration needs the ESSENTIALS tier or higher; accepted: "
                           "--tier ESSENTIALS or PLUS with --registration dcr|both")
        if not a.get("upgrade_tier") and not prompter.confirm(
                "upgrade_tier", PROMPT["upgrade_tier"], False):
            if not prompter.can_ask or a.get("registration"):  # asked for by flag: say what it needs
                raise BadInput("client registration needs the ESSENTIALS tier; the pool is LITE: "
                               "pass --upgrade-tier, or use --registration static")
            return static("The pool stays LITE: each platform gets an app client instead.")
        a["upgrade_tier"] = True
    a["registration"] = choice  # recorded for the equivalent command line / saved answers
    return choice


def precheck(a: dict[str, Any]) -> None:
    """Check every answer given up front, before any AWS call."""
    precheck_scalars(a)  # pool id, pool name, tier, domain prefix, gateway id, first user
    if a.get("mcp_url"):
        normalize_mcp_url(a["mcp_url"], gateway=bool(a.get("gateway_id")))
    for name in [*(a.get("platforms") or []), *(a.get("public") or []), *(a.get("secret") or []),
                 *(a.get("ports") or {})]:
        if name not in PLATFORMS or name == "doctor":
            raise BadInput(f"unknown platform {name!r}; known: "
                           f"{', '.join(p for p in PLATFORMS if p != 'doctor')}")
    for port in (a.get("ports") or {}).values():
        _port(port)
    if a.get("registration") and a["registration"] not in registration.REGISTRATIONS:
        raise BadInput(f"unknown registration {a['registration']!r}; accepted: "
                       f"{', '.join(registration.REGISTRATIONS)}")
    for scope in a.get("user_scopes") or []:
        if scope not in USER_SCOPES:
            raise BadInput(f"unknown user scope {scope!r}; accepted: {', '.join(USER_SCOPES)}")


def _port(text: str | int) -> int:
    try:
        port = int(text)
    except (TypeError, ValueError):
        raise BadInput(f"invalid port {text!r}; accepted: {MIN_PORT}-65535") from None
    if not MIN_PORT <= port <= 65535:
        raise BadInput(f"invalid port {port}; accepted: {MIN_PORT}-65535")
    return port


def _validator(check: Callable[[str], Any]) -> Callable[[str], str | None]:
    def validate(text: str) -> str | None:
        try:
            check(text)
        except BadInput as exc:
            return str(exc)
        return None

    return validate


def _domain_validator(aws: Any) -> Callable[[str], str | None]:
    from mcpauth_wizard.aws import domains

    def check(prefix: str) -> None:
        domains.check_domain_prefix(prefix)
        if domains.describe_domain(aws, prefix):
            raise BadInput(f"domain prefix {prefix!r} is taken; choose another")

    return _validator(check)
