/**
 * @module The conversation: user and assistant messages, tool calls with their results, errors
 * and delivered files. A `role="log"` region that is `aria-busy` while an answer streams, so
 * screen readers read the answer once rather than word by word.
 */

import { useEffect, useMemo, useRef } from "preact/hooks";
import { formatBytes, formatJson } from "../components.tsx";
import type { ChatItem, FileItem, ToolProgress } from "./chat_items.ts";
import { textSegments } from "./text_segments.ts";

export function MessageList(props: { items: ChatItem[]; busy: boolean }) {
  const list = useRef<HTMLDivElement>(null);
  const streaming = props.items.some((item) => item.kind === "assistant" && item.streaming);
  // Follow the answer as it grows, unless the reader scrolled up to read something.
  useEffect(() => {
    const element = list.current;
    if (!element) return;
    const nearBottom = element.scrollHeight - element.scrollTop - element.clientHeight < 160;
    if (nearBottom || !streaming) element.scrollTop = element.scrollHeight;
  }, [props.items]);
  return (
    <div
      class="messages"
      ref={list}
      role="log"
      aria-label="Conversation"
      aria-live="polite"
      aria-busy={streaming || props.busy}
      tabIndex={0}
    >
      <ol>
        {props.items.length === 0 && <li class="empty">No messages yet. Say hello below.</li>}
        {props.items.map((item, index) => <Item key={index} item={item} />)}
        {props.busy && !streaming && <li class="thinking">Working…</li>}
      </ol>
    </div>
  );
}

function Item(props: { item: ChatItem }) {
  const { item } = props;
  switch (item.kind) {
    case "user":
      return (
        <li class="msg user">
          <span class="who">You</span>
          <div class="text">{item.text}</div>
          {item.attachments.length > 0 && (
            <p class="meta">Attached: {item.attachments.join(", ")}</p>
          )}
        </li>
      );
    case "assistant":
      return (
        <li class={`msg assistant${item.streaming ? " streaming" : ""}`}>
          <span class="who">
            Assistant{item.model && <span class="model">{` · ${item.model}`}</span>}
          </span>
          <div class="text">
            <RichText text={item.text} />
          </div>
          {item.aborted && <p class="meta">Stopped before the answer was complete.</p>}
          {item.error && <p class="meta error">{item.error}</p>}
        </li>
      );
    case "tool":
      return (
        <li class={`msg tool${item.isError ? " failed" : ""}`}>
          <details>
            <summary>
              <span class="who">Tool</span> <code>{item.tool}</code>{" "}
              <span class="meta">
                {item.done ? (item.isError ? "failed" : "done") : runningNote(item.progress)}
              </span>
            </summary>
            <p class="label">Arguments</p>
            <pre>{formatJson(item.args)}</pre>
            {item.done && <ToolResult result={item.result} />}
            {item.done && <ModelOutput output={item.output} result={item.result} />}
          </details>
        </li>
      );
    case "error":
      return (
        <li class="msg error" role="alert">
          <span class="who">Error{item.code ? ` · ${item.code}` : ""}</span>
          <div class="text">{item.text}</div>
        </li>
      );
    case "file":
      return <FileMessage file={item} />;
  }
}

/** "running…", with what the tool last reported of its progress. */
function runningNote(report?: ToolProgress): string {
  if (!report) return "running…";
  const { progress, total, message } = report;
  const count = total !== undefined ? `${progress} of ${total}` : `${progress}`;
  return `running… ${count}${message ? ` · ${message}` : ""}`;
}

/** An answer with its code set apart; every piece is rendered as text, never as HTML. */
function RichText(props: { text: string }) {
  return (
    <>
      {textSegments(props.text).map((segment, index) =>
        segment.kind === "block"
          ? (
            <pre key={index} class="code-block" data-language={segment.language || undefined}>
              <code>{segment.text}</code>
            </pre>
          )
          : segment.kind === "code"
          ? <code key={index}>{segment.text}</code>
          : segment.text
      )}
    </>
  );
}

/** A command's output reads best as text; anything else as JSON. */
function ToolResult(props: { result: unknown }) {
  const result = props.result as Record<string, unknown> | null;
  if (result && typeof result === "object" && typeof result.stdout === "string") {
    return (
      <>
        <p class="label">
          Output{typeof result.exitCode === "number" ? ` (exit code ${result.exitCode})` : ""}
        </p>
        <pre>{result.stdout || "(no output)"}</pre>
        {typeof result.stderr === "string" && result.stderr !== "" && (
          <>
            <p class="label">Errors</p>
            <pre>{result.stderr}</pre>
          </>
        )}
      </>
    );
  }
  return (
    <>
      <p class="label">Result</p>
      <pre>{formatJson(props.result)}</pre>
    </>
  );
}

/**
 * What the model read of a tool's result (its text, capped), collapsed under the call: it can
 * differ from the structured result (a file's text with line numbers, a cut long output). Not
 * shown when it says nothing the result above does not.
 */
function ModelOutput(props: { output?: string; result: unknown }) {
  const { output, result } = props;
  if (output === undefined || output === result || output === formatJson(result)) return null;
  return (
    <details class="model-output">
      <summary>What the model read</summary>
      <pre>{output || "(empty)"}</pre>
    </details>
  );
}

function base64ToBlob(data: string, type: string): Blob {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type });
}

function FileMessage(props: { file: FileItem }) {
  const { file } = props;
  const href = useMemo(
    () =>
      file.data !== undefined
        ? URL.createObjectURL(base64ToBlob(file.data, file.mimeType))
        : file.url,
    [file],
  );
  useEffect(() => () => {
    if (href?.startsWith("blob:")) URL.revokeObjectURL(href);
  }, [href]);
  const expired = file.expiresAt !== undefined && file.expiresAt < Date.now();
  return (
    <li class="msg file">
      <span class="who">File</span>
      {file.caption && <div class="text">{file.caption}</div>}
      {file.mimeType.startsWith("image/") && href && !expired && (
        <img class="preview" src={href} alt={file.name} />
      )}
      <p>
        {href && !expired
          ? <a href={href} download={file.name}>Download {file.name}</a>
          : <span>{file.name} (link expired)</span>}{" "}
        <span class="meta">{file.mimeType}, {formatBytes(file.size)}</span>
      </p>
    </li>
  );
}
