/**
 * @module A stand-in for the Telegram Bot API on a loopback port, speaking its wire format:
 * `POST /bot<token>/<method>` with JSON, answers `{ ok, result }` or
 * `{ ok: false, error_code, description }`. `getUpdates` long-polls (`offset`, `timeout`);
 * `sendMessage` is recorded. `setDown(true)` makes every call fail with 502 until set back, the
 * way a proxy answers while Telegram cannot be reached.
 *
 * @example
 * ```ts
 * await using telegram = await startFakeTelegram();
 * // config: channels.telegram = { botToken: telegram.token, apiBaseUrl: telegram.url }
 * telegram.push({ chatId: 111, fromId: 111, text: "hi" });
 * const [reply] = await telegram.waitForSent(1);
 * ```
 */

/** A message the bot sent. */
export interface SentMessage {
  chat_id: string | number;
  text: string;
}

/** What a test pushes as an incoming user message. */
export interface PushedMessage {
  chatId: number;
  fromId: number;
  text: string;
  username?: string;
  firstName?: string;
  /** @default "private" */
  chatType?: string;
}

export interface FakeTelegram {
  /** For config `channels.telegram.apiBaseUrl`. */
  url: string;
  token: string;
  sent: SentMessage[];
  /** Method names called, in order. */
  calls: string[];
  push(message: PushedMessage): void;
  /** Resolves once at least `count` messages were sent. */
  waitForSent(count: number, timeoutMs?: number): Promise<SentMessage[]>;
  setDown(down: boolean): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Update {
  update_id: number;
  message: Record<string, unknown>;
}

const json = (body: unknown, status = 200) => Response.json(body, { status });

/** Starts the stand-in on `127.0.0.1:0`. */
export function startFakeTelegram(
  options: { token?: string; botUsername?: string } = {},
): Promise<FakeTelegram> {
  const token = options.token ?? "123456:TEST-token_abcdef";
  const updates: Update[] = [];
  const sent: SentMessage[] = [];
  const calls: string[] = [];
  let nextUpdateId = 1000;
  let down = false;
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const waker of [...wakers]) waker();
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const m = new URL(req.url).pathname.match(/^\/bot([^/]+)\/(\w+)$/);
    if (!m) return json({ ok: false, error_code: 404, description: "Not Found" }, 404);
    const method = m[2];
    calls.push(method);
    const body = req.method === "POST" ? await req.json().catch(() => ({})) : {};
    if (down) return new Response("Bad Gateway", { status: 502 });
    if (m[1] !== token) {
      return json({ ok: false, error_code: 401, description: "Unauthorized" }, 401);
    }
    if (method === "getMe") {
      return json({
        ok: true,
        result: {
          id: 42,
          is_bot: true,
          first_name: "Fake",
          username: options.botUsername ?? "fakebot",
        },
      });
    }
    if (method === "sendMessage") {
      if (body.chat_id === undefined || typeof body.text !== "string" || !body.text) {
        return json({
          ok: false,
          error_code: 400,
          description: "Bad Request: message text is empty",
        }, 400);
      }
      sent.push({ chat_id: body.chat_id, text: body.text });
      wake();
      return json({
        ok: true,
        result: {
          message_id: sent.length,
          chat: { id: Number(body.chat_id), type: "private" },
          date: 0,
          text: body.text,
        },
      });
    }
    if (method === "getUpdates") {
      const offset = typeof body.offset === "number" ? body.offset : 0;
      // Updates below the offset are confirmed: Telegram forgets them.
      while (updates.length && updates[0].update_id < offset) updates.shift();
      const timeoutMs = Math.min(Number(body.timeout ?? 0), 50) * 1000;
      if (!updates.length && timeoutMs > 0) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            wakers.delete(done);
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          wakers.add(done);
        });
      }
      if (down) return new Response("Bad Gateway", { status: 502 });
      return json({ ok: true, result: updates.slice(0, 100) });
    }
    return json({ ok: false, error_code: 404, description: "Not Found: method not found" }, 404);
  });

  const close = async () => {
    down = true;
    wake();
    await server.shutdown();
  };
  return Promise.resolve({
    url: `http://127.0.0.1:${server.addr.port}`,
    token,
    sent,
    calls,
    push(message) {
      updates.push({
        update_id: nextUpdateId++,
        message: {
          message_id: nextUpdateId,
          from: {
            id: message.fromId,
            is_bot: false,
            first_name: message.firstName ?? "User",
            ...(message.username ? { username: message.username } : {}),
          },
          chat: { id: message.chatId, type: message.chatType ?? "private" },
          date: Math.floor(Date.now() / 1000),
          text: message.text,
        },
      });
      wake();
    },
    waitForSent(count, timeoutMs = 20_000) {
      // Each sendMessage wakes the waiters, so this answers as soon as the count is reached.
      return new Promise((resolve, reject) => {
        const check = () => {
          if (sent.length < count) return;
          finish();
          resolve(sent.slice());
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`Timed out waiting for ${count} sent messages (have ${sent.length})`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          wakers.delete(check);
        };
        wakers.add(check);
        check();
      });
    },
    setDown(value) {
      down = value;
      if (value) wake();
    },
    close,
    [Symbol.asyncDispose]: close,
  });
}
