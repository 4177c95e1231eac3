import { LOCAL_REGION } from '../local/resources';

/** The local emulator answers on these names (see `dev`'s banner: credentials any, region us-east-1). */
const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** What the emulator is given when the environment names none: it checks no signature. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface CliClientConfig {
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * A CLI client's settings: the SDK's own, except that a client pointed at the local emulator (its
 * AWS_ENDPOINT_URL_<SERVICE>, or AWS_ENDPOINT_URL, on loopback) with no AWS_REGION gets local mode's region,
 * and without AWS_ACCESS_KEY_ID any credentials, rather than the SDK's "Region is missing" or "Could not
 * load credentials". Against AWS both stay the user's to give.
 */
export function cliClientConfig(service: 'SAGEMAKER' | 'SAGEMAKER_A2I_RUNTIME', env: NodeJS.ProcessEnv = process.env): CliClientConfig {
  if (!isLoopback(env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL)) return {};
  return { ...(env.AWS_REGION ? {} : { region: LOCAL_REGION }), ...(env.AWS_ACCESS_KEY_ID ? {} : { credentials: LOCAL_CREDENTIALS }) };
}

function isLoopback(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    return LOOPBACK_HOSTNAMES.has(new URL(endpoint).hostname);
  } catch {
    return false;
  }
}
