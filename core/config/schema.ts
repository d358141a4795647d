/**
 * @module The one zod schema of `pyclaw.json`. Every section that any part of pyclaw reads is
 * declared here, so a full config never blocks start-up and a typo is caught with its key path.
 */

import { z } from "zod";
import { toolEntryProblem } from "../tool_groups.ts";

/**
 * Builds the zod schema of the whole config file. Its ~400 schema objects (about 1 MB of heap)
 * are needed only while a config is validated or a key checked, so they are built on use and
 * not kept by this module: an idle gateway holds none (issue 17, idle RSS).
 */
function buildConfigSchema() {
  // Objects are strict so that unknown keys surface as issues; the loader turns those into
  // warnings (and `config.set` into INVALID_PARAMS). Nested sections use `prefault({})` so an
  // absent section still gets its inner defaults (zod 4's `default` would skip parsing).
  // The cast is sound: every field of a section is optional or defaulted.
  const section = <T extends z.ZodRawShape>(shape: T) =>
    z.strictObject(shape).prefault({} as never);

  const port = z.number().int().min(0).max(65535);
  const positiveInt = z.number().int().positive();

  /** A `tools.allow` / `tools.deny` list: tool names, globs, or known `group:` names. */
  const toolList = z.array(
    z.string().min(1).superRefine((entry, check) => {
      const problem = toolEntryProblem(entry);
      if (problem) check.addIssue({ code: "custom", message: problem });
    }),
  );

  const authSchema = section({
    /** `token` (default), `password`, or `none` (loopback only, with a warning). */
    mode: z.enum(["token", "password", "none"]).default("token"),
    token: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** Browser origins allowed to open a WebSocket besides the gateway's own. */
    allowedOrigins: z.array(z.string()).default([]),
  });

  const limitsSchema = section({
    maxFrameBytes: positiveInt.default(25 * 1024 * 1024),
    maxConnectionsPerAddress: positiveInt.default(64),
    connectTimeoutMs: positiveInt.default(10_000),
    /** Sustained requests per second on one connection, with a burst allowance. */
    requestsPerSecond: positiveInt.default(200),
    requestBurst: positiveInt.default(400),
    /** A connection whose unsent data passes this is closed (a client that stopped reading). */
    maxBufferedBytes: positiveInt.default(16 * 1024 * 1024),
    /** Failed `connect` attempts per address per minute before `RATE_LIMITED`. */
    authFailuresPerMinute: positiveInt.default(5),
    /**
     * Spare loopback clients the per-address connection cap and the failed-auth lockout, so one
     * misconfigured local script cannot lock out the CLI, the UI and every SDK.
     */
    exemptLoopback: z.boolean().default(true),
    maxHttpBodyBytes: positiveInt.default(25 * 1024 * 1024),
  });

  const gatewaySchema = section({
    port: port.default(18789),
    /**
     * `loopback`, `lan` (all interfaces), or a host address such as `0.0.0.0`. Whether the
     * gateway can listen on it is a start rule (core/config/load.ts `startIssues`), judged on
     * the bind in force (`--bind` over this), so a value an older pyclaw took never locks the
     * config commands out.
     */
    bind: z.string().min(1).default("loopback"),
    auth: authSchema,
    http: section({
      /** Second HTTP listener: a port, or `false` for none. Default: the WebSocket port + 1. */
      port: z.union([port, z.literal(false)]).optional(),
    }),
    controlUi: section({ enabled: z.boolean().default(true) }),
    /** Announce the gateway on the LAN over mDNS/DNS-SD (`_pyclaw._tcp`) while `gateway run` runs. */
    discovery: section({ mdns: z.boolean().default(false) }),
    limits: limitsSchema,
    /**
     * Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the real client, so
     * limits and lockouts apply per client rather than to the proxy.
     */
    trustedProxies: z.array(
      z.string().refine((spec) => isProxySpec(spec), {
        error: (issue) => `Not an IP address or CIDR range: ${issue.input}`,
      }),
    ).default([]),
  });

  const modelEntrySchema = z.strictObject({
    id: z.string().min(1),
    name: z.string().optional(),
    contextWindow: positiveInt.optional(),
    maxTokens: positiveInt.optional(),
    /** Cost in USD per million tokens, for `usage.get`'s estimate. */
    cost: z.strictObject({ input: z.number().min(0), output: z.number().min(0) }).optional(),
    vision: z.boolean().optional(),
  });

  const providerSchema = z.strictObject({
    /** Wire API. Default: from the provider id (`anthropic`, `llamacpp`), else `openai`. */
    api: z.enum(["openai", "anthropic", "llamacpp"]).optional(),
    baseUrl: z.string().url().optional(),
    apiKey: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    models: z.array(modelEntrySchema).optional(),
    timeoutMs: positiveInt.optional(),
  });

  const modelsSchema = section({
    providers: z.record(z.string().min(1), providerSchema).default({}),
    /** Local model runtime settings (llama.cpp). */
    local: section({
      contextSize: positiveInt.optional(),
      threads: positiveInt.optional(),
      gpuLayers: z.union([z.number().int().min(0), z.literal("auto")]).optional(),
      idleUnloadMs: positiveInt.default(10 * 60_000),
    }),
  });

  const heartbeatSchema = section({
    enabled: z.boolean().default(false),
    /** Interval such as `30m`. */
    every: z.string().default("30m"),
    prompt: z.string().optional(),
  });

  /**
   * Long-term memory search, named as in OpenClaw (`agents.defaults.memorySearch`): what is
   * indexed, which embedding model (if any) adds vector search, and how results are ranked.
   */
  const memorySearchSchema = section({
    enabled: z.boolean().default(true),
    /**
     * Embedding provider: `local` (a GGUF through node-llama-cpp), `openai`, or the id of any
     * OpenAI-compatible entry of `models.providers`. Unset: full-text search only.
     */
    provider: z.string().min(1).optional(),
    /** Embedding model name (remote), or a local model id from `models list`. */
    model: z.string().min(1).optional(),
    /** Endpoint overrides for a remote provider (an OpenAI-compatible `/embeddings`). */
    remote: z.strictObject({
      baseUrl: z.string().url().optional(),
      apiKey: z.string().optional(),
      headers: z.record(z.string(), z.string()).optional(),
    }).optional(),
    /** A GGUF file for `provider: "local"` when `model` is not a downloaded model's id. */
    local: z.strictObject({ modelPath: z.string().min(1).optional() }).optional(),
    /** What is searchable: the workspace's memory files and the agent's own past sessions. */
    sources: z.array(z.enum(["memory", "sessions"])).default(["memory", "sessions"]),
    chunking: section({
      /** Approximate tokens per chunk (about four characters of English each). */
      tokens: positiveInt.default(400),
      overlap: z.number().int().min(0).default(80),
    }),
    query: section({
      maxResults: positiveInt.default(6),
      minScore: z.number().min(0).max(1).default(0.2),
      hybrid: section({
        enabled: z.boolean().default(true),
        vectorWeight: z.number().min(0).max(1).default(0.7),
        textWeight: z.number().min(0).max(1).default(0.3),
        candidateMultiplier: positiveInt.default(4),
      }),
    }),
    sync: section({
      /** Watch memory files and sessions, and reindex what changed in the background. */
      watch: z.boolean().default(true),
      watchDebounceMs: z.number().int().min(0).default(1_500),
    }),
  });

  /** `bwrap`: commands run in a bubblewrap sandbox; `none`: on the host, with the gateway's rights. */
  const execSandboxMode = z.enum(["bwrap", "none"]);

  const agentSettings = {
    name: z.string().optional(),
    /** `provider/model` or a model id. */
    model: z.string().optional(),
    /** Over chat.send's 100,000 characters: a warning, and refused by a new edit (load.ts). */
    systemPrompt: z.string().optional(),
    temperature: z.number().min(0).max(2).optional(),
    maxIterations: positiveInt.optional(),
    workspace: z.string().optional(),
    timezone: z.string().optional(),
    tools: z.strictObject({
      allow: toolList.optional(),
      deny: toolList.optional(),
      /** This agent's command sandbox, over `tools.exec`. */
      exec: z.strictObject({
        sandbox: execSandboxMode.optional(),
        network: z.boolean().optional(),
      }).optional(),
    }).optional(),
    /** An agent's own memory search settings over `agents.defaults.memorySearch`. */
    memorySearch: z.strictObject({
      enabled: z.boolean().optional(),
      provider: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
      sources: z.array(z.enum(["memory", "sessions"])).optional(),
    }).optional(),
  };

  const compactionSchema = section({
    /** Recent tokens kept verbatim after a summary. Default: a quarter of the prompt budget. */
    keepRecentTokens: positiveInt.optional(),
    /** Before an automatic compaction, a quiet turn lets the agent write its memory files. */
    memoryFlush: section({
      enabled: z.boolean().default(true),
      prompt: z.string().min(1).optional(),
      systemPrompt: z.string().min(1).optional(),
    }),
  });

  const agentsSchema = section({
    defaults: section({
      ...agentSettings,
      maxIterations: positiveInt.default(8),
      heartbeat: heartbeatSchema,
      /** Limits of `sessions_spawn` (names as in OpenClaw). */
      subagents: section({
        /** How deep sub-agents nest; 1: a sub-agent cannot spawn its own. */
        maxSpawnDepth: z.number().int().min(1).max(5).default(1),
        /** Running children one session may have. */
        maxChildrenPerAgent: positiveInt.default(5),
        /** Running sub-agents in the whole gateway. */
        maxConcurrent: positiveInt.default(8),
      }),
      memorySearch: memorySearchSchema,
      compaction: compactionSchema,
    }),
    /** A repeated id is a warning (the first entry wins), refused by a new edit (load.ts). */
    list: z.array(
      z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), ...agentSettings }),
    ).default([]),
  });

  const bindingSchema = z.strictObject({
    /** `channel:peer` glob such as `telegram:*`. */
    pattern: z.string().min(1),
    agentId: z.string().min(1),
  });

  const telegramSchema = z.strictObject({
    enabled: z.boolean().default(true),
    botToken: z.string().optional(),
    apiBaseUrl: z.string().url().default("https://api.telegram.org"),
    allowFrom: z.array(z.union([z.string(), z.number()])).default([]),
    dmPolicy: z.enum(["open", "allowlist", "pairing", "disabled"]).default("allowlist"),
    pollTimeoutSec: z.number().int().min(0).max(60).default(25),
    /** First wait before reconnecting after a failed poll; doubles up to `retryMaxMs`. */
    retryBaseMs: positiveInt.default(1_000),
    retryMaxMs: positiveInt.default(60_000),
  });

  const channelsSchema = section({
    webchat: section({ enabled: z.boolean().default(true) }),
    telegram: telegramSchema.optional(),
  });

  // Per-server settings that both transports share.
  const mcpServerCommon = {
    enabled: z.boolean().default(true),
    /** Time limit of one tool call; progress notifications from the server extend it. */
    timeoutMs: positiveInt.default(60_000),
    /** Time limit of connecting and listing the tools. */
    connectTimeoutMs: positiveInt.default(30_000),
  };

  const stdioServerSchema = z.strictObject({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    /**
     * Run the server in bubblewrap: system folders and its own folder (`cwd`) read-only, the state
     * dir and home hidden. Off by default: many servers need the network, home or caches.
     */
    sandbox: z.union([
      z.boolean(),
      z.strictObject({
        /** Keep the host's network. @default true */
        network: z.boolean().default(true),
        /** More folders it may read. */
        readable: z.array(z.string()).default([]),
        /** Folders it may write. */
        writable: z.array(z.string()).default([]),
      }),
    ]).default(false),
    ...mcpServerCommon,
  });

  const httpServerSchema = z.strictObject({
    url: z.string().url(),
    headers: z.record(z.string(), z.string()).optional(),
    /** `streamable-http` or `sse`; by default streamable HTTP, falling back to SSE. */
    transport: z.enum(["streamable-http", "sse"]).optional(),
    ...mcpServerCommon,
  });

  /** Server names become part of tool names (`mcp:<server>:<tool>`), so keep them plain. */
  const mcpServerName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "Use letters, digits, _ and -");

  const toolsSchema = section({
    restrictToWorkspace: z.boolean().default(true),
    /** Tool names, globs or groups (`group:web`) agents may use; all when absent. */
    allow: toolList.optional(),
    /** Tool names, globs or groups no agent may use; deny wins over allow. */
    deny: toolList.optional(),
    exec: section({
      policy: z.enum(["ask", "allow", "deny"]).default("ask"),
      /** Commands matching one of these globs run without asking. */
      allowPatterns: z.array(z.string()).default([]),
      timeoutMs: positiveInt.default(120_000),
      approvalTimeoutMs: positiveInt.default(120_000),
      maxOutputBytes: positiveInt.default(200_000),
      /** Where commands run; absent: in bubblewrap where it works, else on the host (and said so). */
      sandbox: execSandboxMode.optional(),
      /** Whether sandboxed commands reach the network (off: a private loopback only). */
      network: z.boolean().default(false),
      /** Limits of each sandboxed command tree. */
      limits: section({
        cpuSeconds: positiveInt.default(3_600),
        /** Writable memory (RLIMIT_DATA), MiB. */
        memoryMb: positiveInt.default(4_096),
      }),
    }),
    process: section({
      /** Background commands running at once (`process`, `exec` with `background`). */
      maxRunning: positiveInt.default(8),
      /** Characters of output kept per background command (the newest). */
      maxOutputChars: positiveInt.default(200_000),
      /** What a session's background commands become when it is deleted or reset. */
      onSessionEnd: z.enum(["kill", "keep"]).default("kill"),
    }),
    web: section({
      fetch: section({
        /** Bytes of a response read at most; the rest is dropped (and said so). */
        maxBytes: positiveInt.default(2 * 1024 * 1024),
        /** Characters handed to the model when the call gives no `maxChars`. */
        maxChars: positiveInt.default(50_000),
        timeoutMs: positiveInt.default(20_000),
        maxRedirects: z.number().int().min(0).max(20).default(5),
      }),
      search: section({
        /** `brave` (Brave Search API, needs `apiKey`) or `searxng` (a SearXNG instance, `baseUrl`). */
        provider: z.enum(["brave", "searxng"]).optional(),
        /** SearXNG's address; for Brave, overrides `https://api.search.brave.com/res/v1`. */
        baseUrl: z.string().url().optional(),
        apiKey: z.string().min(1).optional(),
        timeoutMs: positiveInt.default(15_000),
      }),
      /** Which addresses `web_fetch` may reach; as `browser.ssrf`. */
      ssrf: section({
        allowPrivateNetwork: z.boolean().default(false),
        allowedHosts: z.array(z.string()).default([]),
      }),
    }),
    mcpServers: z.record(mcpServerName, z.union([stdioServerSchema, httpServerSchema])).default({}),
    /** How often the MCP watcher re-reads `tools.mcpServers`. */
    mcpPollIntervalMs: positiveInt.default(5_000),
    sendFile: section({
      /** Files up to this size go inline (base64) in the event; larger ones get a download URL. */
      inlineMaxBytes: positiveInt.default(256 * 1024),
      /** How long a download URL works. */
      urlTtlMs: positiveInt.default(60 * 60_000),
    }),
  });

  const browserSchema = section({
    enabled: z.boolean().default(true),
    executablePath: z.string().optional(),
    headless: z.boolean().default(true),
    defaultProfile: z.string().default("default"),
    autoStart: z.boolean().default(true),
    navigationTimeoutMs: positiveInt.default(30_000),
    actionTimeoutMs: positiveInt.default(10_000),
    ssrf: section({
      allowPrivateNetwork: z.boolean().default(false),
      allowedHosts: z.array(z.string()).default([]),
    }),
  });

  const cronSchema = section({
    enabled: z.boolean().default(true),
    /** What to do with runs missed while the gateway was down. */
    missedRuns: z.enum(["skip", "run-once"]).default("run-once"),
    timezone: z.string().optional(),
    historyLimit: positiveInt.default(200),
  });

  const loggingSchema = section({
    level: z.enum(["debug", "info", "warn", "error"]).default("info"),
    consoleLevel: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
    maxFileBytes: positiveInt.default(10 * 1024 * 1024),
    maxFiles: positiveInt.default(3),
  });

  const updateSchema = section({
    enabled: z.boolean().default(true),
    registry: z.string().url().default("https://registry.npmjs.org"),
    packageName: z.string().optional(),
    timeoutMs: positiveInt.default(3_000),
  });

  /** The whole config file. */
  return z.strictObject({
    $schema: z.string().optional(),
    gateway: gatewaySchema,
    models: modelsSchema,
    agents: agentsSchema,
    bindings: z.array(bindingSchema).default([]),
    channels: channelsSchema,
    tools: toolsSchema,
    browser: browserSchema,
    cron: cronSchema,
    skills: section({ dirs: z.array(z.string()).default([]) }),
    plans: section({ enabled: z.boolean().default(true) }),
    tts: section({ provider: z.string().optional() }),
    devices: section({ codeTtlMs: positiveInt.default(5 * 60_000) }),
    backup: section({ keep: positiveInt.default(10) }),
    logging: loggingSchema,
    update: updateSchema,
  });
}

/** The schema of the whole config file. */
export type ConfigSchema = ReturnType<typeof buildConfigSchema>;

let held: WeakRef<ConfigSchema> | undefined;

/**
 * The config file's schema. Held weakly: a burst of validations (a reload, `config.set`) builds
 * it once (~5 ms), and the next full collection after the burst frees it.
 */
export function configSchema(): ConfigSchema {
  let schema = held?.deref();
  if (!schema) {
    schema = buildConfigSchema();
    held = new WeakRef(schema);
  }
  return schema;
}

/**
 * What proxy-addr's `compile` takes: `loopback`, `linklocal`, `uniquelocal`, or an address with
 * an optional `/prefix` (or an IPv4 netmask). Checked here without the library, which is
 * CommonJS and loads only for a gateway that names proxies (server/client_address.ts).
 */
export function isProxySpec(spec: string): boolean {
  if (spec === "loopback" || spec === "linklocal" || spec === "uniquelocal") return true;
  const slash = spec.lastIndexOf("/");
  const address = slash < 0 ? spec : spec.slice(0, slash);
  const range = slash < 0 ? undefined : spec.slice(slash + 1);
  const v4 = isIpv4(address);
  if (!v4 && !isIpv6(address)) return false;
  if (range === undefined) return true;
  if (/^[0-9]+$/.test(range)) {
    const bits = Number(range);
    return bits > 0 && bits <= (v4 ? 32 : 128);
  }
  // A netmask must be contiguous ones then zeros, and not all zeros.
  if (!v4 || !isIpv4(range)) return false;
  const mask = range.split(".").reduce((n, part) => n * 256 + Number(part), 0);
  const inverted = 2 ** 32 - 1 - mask;
  return mask !== 0 && (inverted & (inverted + 1)) === 0;
}

function isIpv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 &&
    parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
}

function isIpv6(text: string): boolean {
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return false;
  try {
    new URL(`http://[${text}]/`); // the WHATWG parser checks IPv6 strictly
    return true;
  } catch {
    return false;
  }
}

/** A parsed, defaulted config. */
export type Config = z.output<ConfigSchema>;

type AnySchema = z.core.$ZodType;

/** True when `parts` names a key the schema declares (records accept any key). */
export function isKnownConfigKey(parts: string[]): boolean {
  let candidates: AnySchema[] = [configSchema()];
  for (const part of parts) {
    const next: AnySchema[] = [];
    for (const candidate of candidates.flatMap(unwrap)) {
      const def = candidate._zod.def as unknown as Record<string, unknown> & { type: string };
      if (def.type === "object") {
        const shape = def.shape as Record<string, AnySchema>;
        if (Object.hasOwn(shape, part)) next.push(shape[part]);
      } else if (def.type === "record") {
        next.push(def.valueType as AnySchema);
      } else if (def.type === "array" && /^\d+$/.test(part)) {
        next.push(def.element as AnySchema);
      }
    }
    if (next.length === 0) return false;
    candidates = next;
  }
  return true;
}

function unwrap(schema: AnySchema): AnySchema[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  if (["optional", "default", "prefault", "nullable", "readonly"].includes(def.type)) {
    return unwrap(def.innerType as AnySchema);
  }
  if (def.type === "union") return (def.options as AnySchema[]).flatMap(unwrap);
  return [schema];
}
