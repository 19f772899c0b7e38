// The Seogo API as the widget uses it: the origin it was loaded from, an API
// key from the script tag or a token the host page supplies (Seogo.setToken,
// Seogo.setTokenProvider for tokens that expire).

class Api {
  constructor(base, key) {
    this.base = base;
    this.token = key || null;
    this.provider = null;
  }

  async headers(extra) {
    const headers = { ...extra };
    const token = this.provider ? await this.provider() : this.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    return headers;
  }

  async call(path, { method = "GET", body, accept = "application/json", signal } = {}) {
    const headers = await this.headers(body === undefined ? { Accept: accept } : { Accept: accept, "Content-Type": "application/json" });
    const response = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: "omit",
    });
    if (!response.ok) throw await ApiFailure.from(response);
    return response;
  }
}

/// A refused or failed request, with the API's own message when it sent one.
class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  static async from(response) {
    let code = "http_" + response.status;
    let message = response.statusText || code;
    try {
      const body = await response.json();
      if (body && body.error) {
        code = body.error.code || code;
        message = body.error.message || message;
      }
    } catch (_) {
      // Not JSON: keep the status line.
    }
    return new ApiFailure(response.status, code, message);
  }
}

/// The events of a server-sent event stream, as { event, data } with `data`
/// parsed as JSON.
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      let name = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length === 0) continue; // a keep-alive comment
      let parsed;
      try {
        parsed = JSON.parse(data.join("\n"));
      } catch (_) {
        parsed = { text: data.join("\n") };
      }
      yield { event: name, data: parsed };
    }
    if (done) return;
  }
}
