// The Seogo API as the console uses it: the server the page came from
// (under any path prefix a reverse proxy adds), with the key or token
// signed in with, and never a cookie: a credential is sent only where the
// console puts it, so other sites cannot ride on it.

const TOKEN_KEY = "seogo.console.token";
const BASE = location.pathname.replace(/\/console(\/.*)?$/, "");

/// A refused or failed request, with the API's own message when it sent one.
class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  static fromBody(status, statusText, text) {
    let code = "http_" + status;
    let message = statusText ? `${status} ${statusText}` : code;
    try {
      const body = JSON.parse(text);
      if (body && body.error) {
        code = body.error.code || code;
        message = body.error.message || message;
      }
    } catch (_) {
      // Not JSON (a proxy's page): keep the status line.
    }
    return new ApiFailure(status, code, message);
  }

  static async from(response) {
    let text = "";
    try {
      text = await response.text();
    } catch (_) {
      // The body went away: the status says enough.
    }
    return ApiFailure.fromBody(response.status, response.statusText, text);
  }
}

/// The credential: a key or token typed in or taken from an OIDC
/// redirect (kept in sessionStorage, so it ends with the tab), or a
/// provider the host page sets for tokens that expire.
const auth = {
  token: null,
  provider: null,
  /// Called when the server stops accepting the credential (401).
  onUnauthorized: null,

  load() {
    try {
      this.token = sessionStorage.getItem(TOKEN_KEY);
    } catch (_) {
      this.token = null; // storage blocked: sign in each time
    }
  },

  store(token) {
    this.token = token;
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch (_) {
      // Blocked storage: signed in for this page only.
    }
  },

  forget() {
    this.token = null;
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch (_) {
      // Nothing stored.
    }
  },

  has() {
    return Boolean(this.provider || this.token);
  },

  async bearer() {
    return this.provider ? await this.provider() : this.token;
  },
};

/// A request to the API; throws ApiFailure unless 2xx. `token` signs a
/// single request with another credential (the sign-in form's check).
async function request(path, options) {
  const { method = "GET", json, form, accept = "application/json", token } = options || {};
  const headers = { Accept: accept };
  const bearer = token !== undefined ? token : await auth.bearer();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form; // the browser writes the multipart boundary
  }
  let response;
  try {
    response = await fetch(BASE + path, { method, headers, body, credentials: "omit", cache: "no-store" });
  } catch (_) {
    throw new ApiFailure(0, "offline", t("offline"));
  }
  if (!response.ok) {
    const failure = await ApiFailure.from(response);
    if (failure.status === 401 && token === undefined) unauthorized(failure.message);
    throw failure;
  }
  return response;
}

function unauthorized(message) {
  if (auth.onUnauthorized) auth.onUnauthorized(message);
}

async function getJson(path, options) {
  const response = await request(path, options);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

const postJson = (path, json) => getJson(path, { method: "POST", json });
const del = (path) => getJson(path, { method: "DELETE" });

/// Draws into `slot` what `draw` makes of `path`'s answer, or the error in
/// its place; nothing once the page is left.
async function loadInto(slot, view, path, draw) {
  try {
    const body = await getJson(path);
    if (view.alive) put(slot, draw(body));
  } catch (e) {
    if (view.alive) slot.replaceChildren(alertBox(messageOf(e)));
  }
}

/// One path segment, percent-encoded (document ids hold '/' and '#').
const seg = encodeURIComponent;

/// Query text from an object, leaving out empty values.
function queryString(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

/// Uploads `file` as its own multipart POST, with XMLHttpRequest because
/// fetch reports no upload progress; `onProgress(fraction)`.
async function uploadFile(path, file, acl, onProgress) {
  const bearer = await auth.bearer();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", BASE + path);
    xhr.withCredentials = false;
    xhr.setRequestHeader("Accept", "application/json");
    if (bearer) xhr.setRequestHeader("Authorization", `Bearer ${bearer}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch (_) {
          reject(new ApiFailure(xhr.status, "bad_response", xhr.statusText));
        }
        return;
      }
      const failure = ApiFailure.fromBody(xhr.status, xhr.statusText, xhr.responseText);
      if (xhr.status === 401) unauthorized(failure.message);
      reject(failure);
    };
    xhr.onerror = () => reject(new ApiFailure(0, "offline", t("offline")));
    const form = new FormData();
    if (acl) form.append("acl", acl);
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/// Polls `path` every `every` ms until its `state` is no longer running,
/// passing each reading to `onUpdate`; null when `alive()` turns false
/// (the page was left).
async function poll(path, every, alive, onUpdate) {
  for (;;) {
    if (!alive()) return null;
    const current = await getJson(path);
    if (!alive()) return null;
    if (onUpdate) onUpdate(current);
    if (current && current.state !== "running" && current.state !== "queued") return current;
    await sleep(every);
  }
}

/// A background job (upload, sync) until it is done or failed.
const pollJob = (id, alive, onUpdate) => poll(`/v1/jobs/${seg(id)}`, 500, alive, onUpdate);

/// Prometheus text: the samples without labels, by name.
function parseMetrics(text) {
  const values = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\s+([-+0-9.eEinfNa]+)\s*$/);
    if (m) values[m[1]] = Number(m[2]);
  }
  return values;
}

/// The file name a response names in Content-Disposition, if any.
function dispositionName(response) {
  const header = response.headers.get("Content-Disposition") || "";
  const star = header.match(/filename\*=UTF-8''([^;]+)/i);
  if (star) {
    try {
      return decodeURIComponent(star[1]);
    } catch (_) {
      // Badly encoded: try the plain name.
    }
  }
  const plain = header.match(/filename="?([^";]+)"?/i);
  return plain ? plain[1] : null;
}
