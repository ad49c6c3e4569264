import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../server.js";
export function registerPredictRoutes(_app: FastifyInstance, _ctx: ServerContext): void {}
