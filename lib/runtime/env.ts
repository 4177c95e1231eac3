/** A missing or malformed setting: the function cannot start. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

export function envNumber(name: string, fallback: number, env: Env = process.env): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new ConfigError(`environment variable ${name} must be a positive number, got ${JSON.stringify(value)}`);
  return number;
}

export function envJson<T>(name: string, env: Env = process.env): T {
  const text = requireEnv(name, env);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new ConfigError(`environment variable ${name} is not JSON: ${(error as Error).message}`);
  }
}
