/** The CLI's HTTP client of bmnet's API (the CLI is a thin client: every command goes through the API). */
export interface ApiTarget {
  readonly url: string;
  readonly token: string | undefined;
}

export class ApiError extends Error {}

export async function apiCall<T>(target: ApiTarget, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${target.url.replace(/\/$/, '')}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(target.token ? { 'x-auth-token': target.token } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(`cannot reach bmnet at ${target.url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const e = (parsed as { NeutronError?: { type: string; message: string } } | null)?.NeutronError;
    throw new ApiError(e ? `${e.type}: ${e.message}` : `HTTP ${res.status} from ${method} ${path}`);
  }
  return parsed as T;
}
