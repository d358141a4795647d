/** @module The sign-in form: the gateway token (or password), kept for this tab only. */

import { useState } from "preact/hooks";

/** Props of {@linkcode SignIn}. */
export interface SignInProps {
  /** Why the last attempt failed, shown above the form. */
  problem?: string;
  onSubmit(token: string): void;
}

export function SignIn(props: SignInProps) {
  const [token, setToken] = useState("");
  const submit = (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (value) props.onSubmit(value);
  };
  return (
    <main class="sign-in" id="main">
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <h1>pyclaw Control</h1>
        {props.problem && <p class="note error" role="alert" id="sign-in-error">{props.problem}</p>}
        <label for="token">Gateway token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          autoFocus
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
        />
        <p id="sign-in-help" class="help">
          The token is in <code>~/.pyclaw/gateway.token</code> (or <code>gateway.auth.token</code>
          {" "}
          in the config). It stays in this tab only and is never put in a URL.
        </p>
        <button type="submit" class="primary">Sign in</button>
      </form>
    </main>
  );
}
