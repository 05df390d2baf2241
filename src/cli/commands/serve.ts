import { type Command, Option } from 'commander';
import { parseNumberFlag } from '../../flags/parse-number.js';
import { boundAddressText } from '../bound-address.js';
import { ARG } from '../flag-parsers.js';

/** `botlens serve [--config FILE] [--port N] [--host H] [--auth none]`: the HTTP API. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the HTTP API (POST /v1/detect, /v1/detect/batch, /healthz, /readyz, /metrics, /openapi.json)',
    )
    .option(
      '--config <file>',
      'botlens.config.json naming the ensemble; without it the heuristic detector alone',
    )
    .option('--port <n>', 'port (default 8080)', ARG.port)
    .option(
      '--host <host>',
      'interface to bind (default 127.0.0.1; 0.0.0.0 in containers needs a key or --auth none)',
    )
    .addOption(
      new Option(
        '--auth <mode>',
        '"bearer" (require BOTLENS_API_KEY) or "none" (no key, also on public addresses)',
      ).choices(['bearer', 'none']),
    )
    .option('--log', 'log requests as JSON lines')
    .action(
      async (flags: {
        config?: string;
        port?: string;
        host?: string;
        auth?: 'bearer' | 'none';
        log?: boolean;
      }) => {
        // Every missing package at once, with one install line, before the config is read.
        const { importAllOptional } = await import('../../core/optional-import.js');
        const { OPTIONAL_NEEDS } = await import('../../core/optional-needs.js');
        await importAllOptional([OPTIONAL_NEEDS.service]);
        const { loadServiceConfig } = await import('../../server/config.js');
        const { startService } = await import('../../server/serve.js');
        const config = flags.config ? await loadServiceConfig(flags.config) : {};
        const port =
          flags.port === undefined
            ? undefined
            : parseNumberFlag('--port', flags.port, { min: 0, max: 65535, integer: true });
        // "listening on" is printed once the detector has loaded: a model that fails to load ends the command
        // before it says it serves (the port is bound earlier, for /healthz during the warm-up).
        const { url, server } = await startService(config, {
          ...(port !== undefined && { port }),
          ...(flags.host !== undefined && { host: flags.host }),
          ...(flags.auth !== undefined && { auth: flags.auth }),
          logger: flags.log ?? false,
        });
        const bound = boundAddressText(server.app.server.address(), url);
        process.stderr.write(`botlens: listening on ${bound}\nbotlens: ready\n`);
      },
    );
}
