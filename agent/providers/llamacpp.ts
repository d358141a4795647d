/**
 * @module The local provider: models from the local store run in-process by node-llama-cpp, with
 * the GGUF's own chat template, streamed tokens, function calling for tools, and abort.
 */

import type {
  ChatModelFunctions,
  Llama,
  LLamaChatGenerateResponseOptions,
  LlamaGrammar,
} from "node-llama-cpp";
import type { LocalModelStore } from "../models/model_store.ts";
import { toChatHistory, toFunctions, toolCallEvents } from "./_llama_history.ts";
import { LocalRuntime, type LocalRuntimeSettings } from "./_llama_runtime.ts";
import {
  type ChatProvider,
  type ChatRequest,
  type FinishReason,
  type ModelInfo,
  ProviderError,
  type ProviderFactory,
  type StreamEvent,
} from "./types.ts";

/** What the local provider is built from besides its settings. */
export interface LocalProviderDeps {
  store: LocalModelStore;
  /** Config `models.local`, read at each load so edits apply to the next load. */
  settings: () => LocalRuntimeSettings;
}

/** A {@linkcode ProviderFactory} for the `llamacpp` wire API over `deps.store`. */
export function llamaCppFactory(deps: LocalProviderDeps): ProviderFactory {
  return (settings) => createLlamaCppProvider(settings.id, deps);
}

/** Builds the local provider. Nothing is loaded until the first request. */
export function createLlamaCppProvider(id: string, deps: LocalProviderDeps): ChatProvider & {
  readonly runtime: LocalRuntime;
} {
  const runtime = new LocalRuntime(id, deps.settings);
  return {
    id,
    api: "llamacpp",
    runtime,
    stream: (request) => streamLocal(id, deps.store, runtime, request),
    async listModels(): Promise<ModelInfo[]> {
      const models = await deps.store.list();
      return models
        .filter((model) => model.backend === "llamacpp")
        .map((model) => ({
          id: model.id,
          provider: id,
          name: model.id.split("/").at(-1)!.replace(/\.gguf$/i, ""),
          source: "provider" as const,
        }));
    },
    close: () => runtime.close(),
  };
}

/** Bridges node-llama-cpp's callbacks to an async iterator. */
class EventQueue {
  #items: StreamEvent[] = [];
  #wake: (() => void) | undefined;
  push(event: StreamEvent): void {
    this.#items.push(event);
    this.#wake?.();
  }
  async *drain(done: Promise<unknown>): AsyncGenerator<StreamEvent> {
    let finished = false;
    done.finally(() => {
      finished = true;
      this.#wake?.();
    }).catch(() => {});
    for (;;) {
      while (this.#items.length) yield this.#items.shift()!;
      if (finished) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}

async function* streamLocal(
  providerId: string,
  store: LocalModelStore,
  runtime: LocalRuntime,
  request: ChatRequest,
): AsyncGenerator<StreamEvent> {
  const model = await store.get(request.model);
  if (!model || model.backend !== "llamacpp") {
    throw new ProviderError(
      "model_not_found",
      providerId,
      `Local model not found: ${request.model} (see pyclaw models local)`,
    );
  }
  if (request.signal?.aborted) throw new ProviderError("aborted", providerId, "Aborted");
  // A consumer that stops reading early (a probe) must also stop the generation.
  const stopped = new AbortController();
  const signal = request.signal
    ? AbortSignal.any([request.signal, stopped.signal])
    : stopped.signal;
  const queue = new EventQueue();
  const tools = request.toolChoice === "none" ? [] : request.tools ?? [];
  const chosen = typeof request.toolChoice === "object"
    ? tools.filter((tool) => tool.name === (request.toolChoice as { name: string }).name)
    : tools;
  const format = request.responseFormat?.type === "text" ? undefined : request.responseFormat;
  if (format && chosen.length) {
    // node-llama-cpp calls functions through a grammar of its own, and takes no second one.
    throw new ProviderError(
      "bad_request",
      providerId,
      "response_format cannot be combined with tools on a local model: leave one out",
    );
  }
  let settled = false;
  const generation = runtime.use(request.model, model.path, signal, async (loaded) => {
    const { LlamaChat } = await import("node-llama-cpp");
    const grammar = format ? await grammarOf(loaded.model.llama, format, providerId) : undefined;
    const chat = new LlamaChat({
      contextSequence: loaded.sequence,
      autoDisposeSequence: false,
      ...(loaded.chatWrapper ? { chatWrapper: loaded.chatWrapper } : {}),
    });
    loaded.chatWrapper = chat.chatWrapper;
    // The sequence's meter also counts the tokens of function calls, which `onToken` does not see.
    const meterBefore = loaded.sequence.tokenMeter.getState();
    try {
      // Functions or a grammar, never both (checked above): the options' type is a union of the two.
      const options = {
        signal,
        maxTokens: request.maxTokens,
        temperature: request.temperature ?? 0.8,
        topP: request.topP,
        seed: request.seed,
        customStopTriggers: request.stop?.length ? request.stop : undefined,
        onTextChunk: (text) => {
          if (text) queue.push({ type: "text", text });
        },
        ...(chosen.length ? { functions: toFunctions(chosen), documentFunctionParams: true } : {}),
        ...(grammar ? { grammar } : {}),
      } as LLamaChatGenerateResponseOptions<ChatModelFunctions>;
      const response = await chat.generateResponse(toChatHistory(request.messages), options);
      const calls = response.functionCalls ?? [];
      for (const event of toolCallEvents(calls, chosen)) queue.push(event);
      const stop = response.metadata.stopReason;
      if (stop === "abort") throw new ProviderError("aborted", providerId, "Aborted");
      const reason: FinishReason = calls.length
        ? "tool_calls"
        : stop === "maxTokens"
        ? "length"
        : "stop";
      const completionTokens = loaded.sequence.tokenMeter.diff(meterBefore).usedOutputTokens;
      const promptTokens = Math.max(0, loaded.sequence.nextTokenIndex - completionTokens);
      queue.push({
        type: "finish",
        reason,
        usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
      });
    } catch (error) {
      if (signal.aborted) {
        throw new ProviderError("aborted", providerId, "Aborted", { cause: error });
      }
      if (/fits the context size|compress chat history/.test(String((error as Error)?.message))) {
        throw new ProviderError(
          "bad_request",
          providerId,
          `The conversation and tool descriptions do not fit the local model's context ` +
            `(${loaded.context.contextSize} tokens): start a new session, offer fewer tools, ` +
            "or raise models.local.contextSize",
          { cause: error },
        );
      }
      throw error instanceof ProviderError ? error : new ProviderError(
        "upstream",
        providerId,
        `Local generation failed: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  });
  generation.then(() => (settled = true), () => (settled = true));
  try {
    yield* queue.drain(generation);
    await generation;
  } finally {
    if (!settled) {
      stopped.abort();
      await generation.catch(() => {});
    }
  }
}

/**
 * The grammar that holds the answer to OpenAI's `response_format`: any JSON value for
 * `json_object` (or a `json_schema` without a schema), else the schema's. node-llama-cpp turns a
 * JSON schema into a grammar itself; one it cannot turn is the request's fault (400).
 *
 * @throws {ProviderError} bad_request for a format or schema that cannot be applied
 */
async function grammarOf(
  llama: Llama,
  format: Record<string, unknown>,
  providerId: string,
): Promise<LlamaGrammar> {
  const schema = format.type === "json_schema"
    ? (format.json_schema as { schema?: unknown } | undefined)?.schema
    : undefined;
  if (format.type === "json_object" || (format.type === "json_schema" && schema === undefined)) {
    return await llama.getGrammarFor("json");
  }
  if (format.type !== "json_schema") {
    throw new ProviderError(
      "bad_request",
      providerId,
      `response_format type ${String(format.type)} is not supported: use text, json_object or ` +
        "json_schema",
    );
  }
  try {
    // A client's schema, checked by the conversion itself: the generic type can only be asserted.
    return await llama.createGrammarForJsonSchema(schema as { const: string });
  } catch (error) {
    throw new ProviderError(
      "bad_request",
      providerId,
      `The response_format JSON schema cannot be applied by a local model: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
}

// Registration lives apart so that registering loads nothing; re-exported for callers here.
export {
  type LocalProviderHost,
  type RegisterLocalOptions,
  registerLocalProvider,
} from "./local_provider.ts";
