/**
 * @module What a provider's failure says to OpenAI API clients: the upstream's words, with the
 * gateway's secrets and anything shaped like a key blanked out, for provider models and agents.
 */

import OpenAI from "openai";
import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { configSecrets, redactText } from "../../../agent/providers/errors.ts";
import { GatewayError } from "../../../core/errors.ts";
import { errorBody } from "../../../server/openai/_errors.ts";

/** An upstream that echoes what it was sent: its key as configured, as a header, in a query. */
const ECHO = "Invalid request from key=sk-live-SECRET1234abcdef (Authorization: Bearer " +
  "tok_0123456789abcdefXYZ); also tried AIzaSyA-0123456789abcdefghijKLMN";

Deno.test("provider failures reach OpenAI API clients without the secrets an upstream echoes", async () => {
  await using env = await startChatGateway();
  const client = new OpenAI({
    baseURL: `${env.gw.baseUrl}/v1`,
    apiKey: env.gw.token!,
    maxRetries: 0,
  });
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Hi" }];
  const asks = [
    () => client.chat.completions.create({ model: "gpt-test", messages }),
    () => client.chat.completions.create({ model: "gpt-test", messages, stream: true }),
    () => client.chat.completions.create({ model: "agent:main", messages }),
    () => client.chat.completions.create({ model: "agent:main", messages, stream: true }),
    () => client.responses.create({ model: "gpt-test", input: "Hi" }),
    () => client.responses.create({ model: "agent:main", input: "Hi" }),
  ];
  for (const ask of asks) {
    env.upstream.reply({ error: { status: 400, message: ECHO } });
    const error = await assertRejects(ask, OpenAI.BadRequestError);
    // The upstream's words are still there to read; no secret is.
    assertMatch(error.message, /Invalid request from key=\[REDACTED\]/);
    assertMatch(error.message, /Bearer \[REDACTED\]/);
    for (const secret of ["SECRET1234", "tok_0123", "AIzaSy"]) {
      assert(!error.message.includes(secret), error.message);
    }
  }
  // An agent's session keeps no secret either.
  const history = await env.gw.gateway.services.chat.history("main", "openai");
  assert(!JSON.stringify(history).includes("sk-fake"));
});

Deno.test("redactText blanks known secrets and key shapes", () => {
  assertEquals(
    redactText(
      "key=sk-ant-api03-abcdefghijklmnop, Bearer eyJhbGciOiJIUzI1NiJ9.abc, " +
        "token=a1b2c3d4e5f6a7b8c9d0 ghp_0123456789abcdefghijABCD hf_0123456789abcdefghijk " +
        "xoxb-0123456789-abcdefghij, my hunter22x was refused",
      ["hunter22x"],
    ),
    "key=[REDACTED], Bearer [REDACTED], token=[REDACTED] [REDACTED] [REDACTED] [REDACTED], " +
      "my [REDACTED] was refused",
  );
});

Deno.test("redactText leaves ordinary error text alone", () => {
  for (
    const text of [
      "The model gpt-4o does not exist; use a task-specific key",
      "This model supports basic reasoning effort only",
      "Bearer tokens are not supported by this endpoint",
      "The model deepseek/sk-coder-v2-instruct-preview does not exist",
      "token=151643 is not a valid token id",
      "key=sk-short was refused",
    ]
  ) assertEquals(redactText(text), text);
});

Deno.test("configSecrets takes secret-named values, not every header and env value", () => {
  const secrets = configSecrets({
    models: {
      providers: {
        a: {
          apiKey: "sk-configured-0001",
          headers: {
            "Content-Type": "application/json",
            "X-Title": "pyclaw",
            "Authorization": "Bearer header-credential-01",
            "X-Api-Key": "header-api-key-01",
          },
        },
        local: { apiKey: "ollama" },
      },
    },
    mcp: { servers: { s: { env: { NODE_ENV: "production", GITHUB_TOKEN: "gh-env-token-01" } } } },
  });
  assertEquals([...secrets].sort(), [
    "Bearer header-credential-01",
    "gh-env-token-01",
    "header-api-key-01",
    "header-credential-01",
    "sk-configured-0001",
  ]);
  assertEquals(
    redactText("production pyclaw application/json ollama", secrets),
    "production pyclaw application/json ollama",
  );
});

Deno.test("a gateway-made NOT_FOUND names the model as the client sent it", () => {
  const message = "Unknown model: deepseek/sk-coder-v2 (agent sk-0123456789abcdefghij)";
  const { body } = errorBody(new GatewayError("NOT_FOUND", message), {
    models: { providers: { a: { apiKey: "sk-0123456789abcdefghij" } } },
  });
  assertEquals(body.error.message, message);
});

Deno.test("redactText finds keys after a colon or a slash, tokens of every shape, and credentials after their scheme", () => {
  for (
    const [text, expected] of [
      ["invalid x-api-key:sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv12", "invalid x-api-key:[REDACTED]"],
      ["GET /v1/key/AIzaSyA1234567890abcdefghijkl", "GET /v1/key/[REDACTED]"],
      [
        "API key not valid: AIzaSyDaGmWKaJsXZ-HjGwISLn_namBGewQe1x",
        "API key not valid: [REDACTED]",
      ],
      [
        "Invalid credentials: hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh",
        "Invalid credentials: [REDACTED]",
      ],
      ["token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZaB1cDeFgHiJ revoked", "token [REDACTED] revoked"],
      [
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyzABCDEF",
        "Authorization: Bearer [REDACTED]",
      ],
      ["Basic dXNlcjpwYXNzd29yZDEyMzQ1Ng== refused", "Basic [REDACTED] refused"],
      ["groq says gsk_abc123def456ghi789jkl is revoked", "groq says [REDACTED] is revoked"],
      // Not keys: plain words after a scheme's name, model ids with a key's prefix or version.
      ["bearer authentication-is-required-here", "bearer authentication-is-required-here"],
      [
        "This is a basic gpt-4o-mini-2024-07-18 request",
        "This is a basic gpt-4o-mini-2024-07-18 request",
      ],
      [
        "No model deepseek/sk-coder-v2-instruct-0724",
        "No model deepseek/sk-coder-v2-instruct-0724",
      ],
      [
        "hf_transfer_2024_update_required_v1 is unset",
        "hf_transfer_2024_update_required_v1 is unset",
      ],
    ]
  ) assertEquals(redactText(text), expected);
});

Deno.test("configSecrets takes env and header values whose names say secret in other words", () => {
  const secrets = configSecrets({
    tools: {
      mcpServers: {
        gh: {
          env: {
            GITHUB_PAT: "ghp_secret_but_short",
            DB_PASS: "hunter2hunter2",
            // Not secrets, though their names hold auth, pass, key or pat.
            PATH: "/usr/bin:/bin",
            PWD: "/home/user/project",
            XAUTHORITY: "/home/user/.Xauthority",
            OAUTH_REDIRECT: "https://example.com/callback",
            PASSENGER_MODE: "production",
            BYPASS_CACHE: "yes-always",
            KEYBOARD_LAYOUT: "us-international",
            MONKEY_PATCH: "enabled-everywhere",
          },
        },
      },
    },
    models: {
      providers: {
        x: { headers: { "Helicone-Auth": "Bearer hel-abcdefghijkl", "X-Author": "someone-else" } },
      },
    },
  });
  assertEquals([...secrets].sort(), [
    "Bearer hel-abcdefghijkl",
    "ghp_secret_but_short",
    "hel-abcdefghijkl",
    "hunter2hunter2",
  ]);
});
