// The browser app's files from the web root: `/` is index.html, `*.ts` modules go out as JavaScript
// (see typescript-modules.ts), everything else as-is through @fastify/static (ranges, ETag, 304).
// Only the extensions a web page uses are served, never hidden files; every answer says `no-cache`
// (revalidate each time) so a restarted server never leaves a browser on stale code.

import { extname } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, oneLine } from '../errors.ts';
import { TypeScriptModules } from './typescript-modules.ts';

const SERVED_EXTENSIONS = new Set([
  '.html',
  '.css',
  '.ts',
  '.js',
  '.mjs',
  '.json',
  '.svg',
  '.png',
  '.jpg',
  '.webp',
  '.ico',
  '.woff2',
  '.txt',
  '.webmanifest',
]);

/** Paths that belong to the API and the stream, never to files. */
const RESERVED_PREFIXES = ['api/', 'ws/'];

export interface WebFilesOptions {
  root: string;
  log: (line: string) => void;
}

export async function webFiles(app: FastifyInstance, options: WebFilesOptions): Promise<void> {
  // cacheControl off: the `no-cache` set below is the policy, not the plugin's `max-age=0`.
  await app.register(fastifyStatic, {
    root: options.root,
    serve: false,
    etag: true,
    lastModified: true,
    cacheControl: false,
  });
  const modules = new TypeScriptModules(options.root);

  app.get('/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = (request.params as Record<string, string>)['*'] ?? '';
    if (RESERVED_PREFIXES.some((prefix) => raw.startsWith(prefix))) return notFound(request);
    const path = raw === '' || raw.endsWith('/') ? `${raw}index.html` : raw;
    const extension = extname(path).toLowerCase();
    if (!SERVED_EXTENSIONS.has(extension) || path.includes('\0')) return notFound(request);
    if (path.split('/').some((segment) => segment.startsWith('.'))) return notFound(request);
    reply.header('cache-control', 'no-cache');
    if (extension !== '.ts') return reply.sendFile(path);

    let module: Awaited<ReturnType<TypeScriptModules['get']>>;
    try {
      module = await modules.get(path);
    } catch (error) {
      options.log(`web/${path} could not be served as JavaScript: ${oneLine(error)}`);
      throw new ApiError(
        500,
        'module_error',
        `web/${path} could not be turned into JavaScript: ${oneLine(error)}`,
      );
    }
    if (module === null) return notFound(request);
    reply.header('etag', module.etag);
    if (request.headers['if-none-match'] === module.etag) return reply.code(304).send();
    return reply.type('text/javascript; charset=utf-8').send(module.code);
  });
}

function notFound(request: FastifyRequest): never {
  const path = request.url.split('?', 1)[0];
  throw new ApiError(404, 'not_found', `nothing at ${path}`);
}
