/**
 * The local-mode commands' usage, apart from the commands: `main` prints it for every invocation, while the
 * commands themselves load the handlers and are required only when used.
 */
export const DEFAULT_DEV_PORT = 8484;

export const DEV_USAGE = `a2i-orchestrator dev [--port N] [--workflows DIR] [--state DIR] [--inbox DIR] [--no-demo]
    the whole pipeline on this machine, with the review UI (npm start); default port ${DEFAULT_DEV_PORT}
a2i-orchestrator dev upload FILE [--port N]
    hands FILE to the running dev, as dropping it into inbox/ does`;

export const REPLAY_USAGE = `a2i-orchestrator replay --workflow FILE --input FILE [--auto-review FILE] [--out DIR] [--port N] [--timeout SECONDS]
    [--inject-faults "a2i.throttle=0.3,a2i.error=0.05,s3.error=0.05,sqs.error=0.05,sfn.error=0.05"] [--duplicate-events SHARE]
    runs FILE through the whole local pipeline and prints a JSON summary as its last line;
    exit 0 only when every record got exactly one terminal message`;
