"""Sandbox Jenkins: a wire-faithful emulator of Jenkins LTS (with our plugins) for tests and benchmarks.

Start one::

    with SandboxJenkins(admin_token="t0k") as jenkins:
        server = jenkins_client(jenkins.url, jenkins.admin_user, jenkins.admin_token)

Layout (one concern per module):

==================  ==========================================================================
``server``          ``SandboxJenkins``: loopback listener, start/stop/restart, outage, users
``app``             WSGI app: auth → crumb → anonymous check → route dispatch; error rendering
``routing``         item URL resolution (``/job/a/job/b/<rest>``) and the ``RouteTable``
``context``         ``RequestContext`` / ``Principal`` handed to every handler
``security``        Basic auth (password or API token), sessions, crumbs
``export``          Stapler's export: ``Bean`` + ``tree=`` / ``depth=`` pruning (one model)
``writers``         that model as ``api/json``, ``api/python`` or ``api/xml`` (Stapler's writers)
``api``             ``hudson.model.Api``: flavour, ``pretty``, ``jsonp``, headers; ``apixml``:
                    ``xpath`` / ``exclude`` / ``wrapper``
``errors``          the sandbox's own error types (it imports nothing of the bridge)
``model``           state: users, folders, jobs, credential stores (one lock per instance)
``items`` …         endpoint modules (``root``, ``items``, ``credentials``)
``casc``            JCasC loader (``SandboxJenkins(casc=...)``): users, strategy, executors, agents;
                    ``casclibs``: global Pipeline libraries and their retrieval (``mounts``)
``acl``             matrix-auth: global/project matrix, item properties, inheritance, SYSTEM
``identity``        authorize-project: the identity a build runs as
``nodes``           executors: built-in node, static agents, Kubernetes pod templates
``buildstep``       the ``build`` step's resolution and permission checks
``runcredentials``  credentials a running build may use (Credentials/UseItem)
``linter``          the Declarative linter (``/pipeline-model-converter/validateJenkinsfile``, ``validate``)
``faults``          latency and error injection; ``persistence``: optional ``state_dir``
``buildstate``      queue and builds of one instance (``BuildService``); ``buildpersist``: their
                    ``state_dir`` section, resuming running builds after a restart
``pipeline``        Jenkinsfile parser and engine (``vm``: deterministic CPS thread switching;
                    ``resume``: a run as saved data and back; ``library``: ``vars/`` scripts)
==================  ==========================================================================

Extension point (for the build-side modules: ``builds``, ``queue``, ``logs``, ``wfapi``,
``inputs``, ``replay`` — names already listed in ``app.ROUTE_MODULES``, loaded when they exist)
------------------------------------------------------------------------------------------------
A module ``bridge/sandbox/jenkins/<name>.py`` defines::

    def register(routes: RouteTable) -> None:
        routes.add(r"(?P<number>\\d+)/api/json", build_json, kinds=("job",))
        routes.add(r"build", trigger, kinds=("job",), methods=("POST", "GET"))

    def on_start(services: dict) -> None: ...   # optional: start worker threads
    def on_stop(services: dict) -> None: ...    # optional: stop them

* **Matching.** The path below the context path is split into an item (root, folder or job; a
  missing ``job/NAME`` is a 404 before any handler runs) and the *rest*, matched against anchored
  regexes (trailing ``/`` ignored). Named groups become the handler's ``groups`` dict. A pattern that
  matches with the wrong method gives 405 (``Allow: POST``).
* **Exports.** A pattern ending in ``api/json`` also serves ``api/python`` and ``api/xml``: its handler
  returns ``pages.json_response(export.export(bean, pruner))`` and ``api.serve`` writes that model in
  the flavour of the URL (an ``api/json`` handler answering anything else is an emulator bug).
* **Security is done before the handler**: 401 for bad Basic credentials, 403 "No valid crumb" for a
  POST without crumb unless API-token auth (``crumb=False`` exempts a route), 403 for anonymous unless
  ``anonymous=True``, 404 for an item the caller cannot read (``acl.visible``). Handlers check
  permissions on the request's item with ``ctx.require(model.ITEM_BUILD)`` (or ``ctx.has``).
* **Handler**: ``(ctx: RequestContext, groups: dict[str, str]) -> werkzeug Response``. ``ctx`` has
  ``item``, ``rest``, ``principal`` (``id``, ``groups``, ``is_admin``, ``has(perm)``), ``state`` and
  ``lock`` (hold it while touching state), ``root_url`` / ``url_of(item)`` / ``absolute(path)`` (with
  the context path, e.g. ``/jenkins``), ``context_path``, ``param(name)`` (query wins over form),
  and ``services`` (instance-wide dict: put the engine there in ``on_start``).
* **Errors**: raise from ``errors`` (``Failure`` → 400 + ``X-Error``, ``ItemNotFound``,
  ``MethodNotAllowed``, ``AccessDenied``, ``Oops`` → 500 page); ``pages`` builds JSON/XML/HTML and
  redirects. Any other exception is an emulator bug: 500 without traceback, counted in
  ``SandboxJenkins.unhandled_errors``.
* **Jobs** (``model.Job``) carry ``next_build_number``, ``builds`` (number → your build object),
  ``queue`` and ``engine`` (free dict) for the build side, plus what config.xml said: ``script``,
  ``sandbox``, ``scm``/``script_path``, ``parameters``, ``disabled``, ``concurrent_build``.
* **Job JSON**: ``itemjson.register_job_fields(provider)`` supplies ``builds``, permalinks, ``color``,
  ``inQueue``, ``queueItem``, ``nextBuildNumber``, ``healthReport``, ``allBuilds`` as ``export.Bean``
  values; ``export.export(bean, export.pruner_from(request.args))`` applies ``tree=`` / ``depth=``.
* **Credentials**: ``credentials.resolve_credential(job, credentials_id)`` walks the folder chain up
  to the system store and returns the ``model.Credential`` (values in clear) or None.
* **Persistence**: ``persistence.register_section(name, dump, load)`` for state that must survive a
  restart with ``state_dir``.
"""

from bridge.sandbox.jenkins.server import SandboxJenkins, UserSpec

__all__ = ["SandboxJenkins", "UserSpec"]
