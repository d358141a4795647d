/**
 * @module The message box: Enter sends (Shift+Enter for a new line), files attach as base64,
 * Stop aborts the run, and the last message can be regenerated or edited and run again.
 */

import { useRef, useState } from "preact/hooks";

/** An attachment as `chat.send` takes it. */
export interface Attachment {
  type: "image" | "file";
  mimeType: string;
  fileName: string;
  content: string;
}

/** Larger files would pass the gateway's frame limit once encoded. */
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error ?? new Error(`Cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/** Props of {@linkcode Composer}. */
export interface ComposerProps {
  busy: boolean;
  canRedo: boolean;
  lastUserText: string;
  onSend(text: string, attachments: Attachment[]): void;
  onAbort(): void;
  onRegenerate(): void;
  onEdit(text: string): void;
}

export function Composer(props: ComposerProps) {
  const [text, setText] = useState("");
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [editing, setEditing] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const box = useRef<HTMLTextAreaElement>(null);

  const submit = (event?: Event) => {
    event?.preventDefault();
    if (props.busy) return;
    const message = text.trim();
    if (editing) {
      if (!message) return;
      props.onEdit(message);
      setEditing(false);
    } else {
      if (!message && !attachments.length) return;
      props.onSend(message, attachments);
      setAttachments([]);
    }
    setText("");
  };

  const attach = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = "";
    setProblem(undefined);
    for (const file of files) {
      if (file.size > MAX_ATTACHMENT_BYTES) {
        setProblem(`${file.name} is larger than 10 MiB`);
        continue;
      }
      const content = await readAsBase64(file);
      const mimeType = file.type || "application/octet-stream";
      setAttachments((list) => [...list, {
        type: mimeType.startsWith("image/") ? "image" : "file",
        mimeType,
        fileName: file.name,
        content,
      }]);
    }
  };

  const startEdit = () => {
    setEditing(true);
    setText(props.lastUserText);
    box.current?.focus();
  };

  return (
    <form class="composer" onSubmit={submit}>
      <label for="message" class="visually-hidden">
        {editing ? "Edit your last message" : "Message"}
      </label>
      <textarea
        id="message"
        ref={box}
        rows={3}
        placeholder={editing
          ? "Edit your last message"
          : "Message (Enter to send, Shift+Enter for a new line)"}
        value={text}
        onInput={(event) => setText((event.target as HTMLTextAreaElement).value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
          if (event.key === "Escape" && editing) {
            setEditing(false);
            setText("");
          }
        }}
      />
      {attachments.length > 0 && (
        <ul class="chips" aria-label="Attachments">
          {attachments.map((attachment, index) => (
            <li key={index}>
              {attachment.fileName}
              <button
                type="button"
                class="link"
                aria-label={`Remove ${attachment.fileName}`}
                onClick={() => setAttachments((list) => list.filter((_, i) => i !== index))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {problem && <p class="note error" role="alert">{problem}</p>}
      <div class="composer-actions">
        <label class="button">
          Attach
          <input
            type="file"
            multiple
            class="visually-hidden"
            onChange={attach}
            disabled={editing}
          />
        </label>
        {props.busy
          ? <button type="button" class="danger" onClick={props.onAbort}>Stop</button>
          : <button type="submit" class="primary">{editing ? "Save and run again" : "Send"}
          </button>}
        {editing
          ? (
            <button type="button" onClick={() => (setEditing(false), setText(""))}>
              Cancel edit
            </button>
          )
          : (
            <>
              <button type="button" disabled={!props.canRedo} onClick={props.onRegenerate}>
                Regenerate
              </button>
              <button type="button" disabled={!props.canRedo} onClick={startEdit}>
                Edit last
              </button>
            </>
          )}
      </div>
    </form>
  );
}
