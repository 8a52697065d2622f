import type { ServiceImageTarget } from '../../stacks/service-image';
import { containerImageSources, type SynthesizedApp } from '../infra/synth-app';

/** A container of the synthesized stack's task definitions: what ECS would start. */
export interface TaskContainer {
  readonly name: string;
  /** The Dockerfile target its image asset is built from. */
  readonly target: ServiceImageTarget;
  /** `Command` of the container definition; unset means the image's CMD. */
  readonly command?: readonly string[];
  readonly user?: string;
  readonly readonlyRootFilesystem: boolean;
  /** Seconds between SIGTERM and SIGKILL; ECS's default is 30. */
  readonly stopTimeoutSeconds: number;
  /** Plain values as the template holds them; a value that CloudFormation resolves is `undefined`. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** Names of the variables ECS injects from Secrets Manager. */
  readonly secrets: readonly string[];
  /** The health check's command, `CMD` form, if the definition has one. */
  readonly healthCheck?: readonly string[];
}

interface ContainerDefinitionJson {
  Name: string;
  Command?: string[];
  User?: string;
  ReadonlyRootFilesystem?: boolean;
  StopTimeout?: number;
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string }[];
  HealthCheck?: { Command?: string[] };
}

/** ECS stops a container with SIGKILL this long after SIGTERM when the definition says nothing. */
const ECS_DEFAULT_STOP_TIMEOUT_SECONDS = 30;

/** Every container of every task definition in the stack, by container name. */
export function taskContainers(synthesized: SynthesizedApp): Record<string, TaskContainer> {
  const sources = containerImageSources(synthesized);
  const containers: Record<string, TaskContainer> = {};
  for (const resource of Object.values(synthesized.json.Resources)) {
    if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
    const definitions = (resource.Properties?.ContainerDefinitions ??
      []) as ContainerDefinitionJson[];
    for (const definition of definitions) {
      const target = sources[definition.Name]?.dockerBuildTarget;
      if (target !== 'api' && target !== 'consumer') {
        throw new Error(`container ${definition.Name} is built from an unknown target ${target}`);
      }
      containers[definition.Name] = {
        name: definition.Name,
        target,
        command: definition.Command,
        user: definition.User,
        readonlyRootFilesystem: definition.ReadonlyRootFilesystem === true,
        stopTimeoutSeconds: definition.StopTimeout ?? ECS_DEFAULT_STOP_TIMEOUT_SECONDS,
        environment: Object.fromEntries(
          (definition.Environment ?? []).map(({ Name, Value }) => [
            Name,
            typeof Value === 'string' ? Value : undefined,
          ]),
        ),
        secrets: (definition.Secrets ?? []).map(({ Name }) => Name),
        healthCheck: definition.HealthCheck?.Command,
      };
    }
  }
  return containers;
}

/**
 * The environment to start `container` with locally: the task definition's own plain values,
 * with `local` in place of what only AWS can supply. Every value CloudFormation resolves (an ARN,
 * a queue URL) and every injected secret must be given in `local`, and nothing may be given that
 * the definition lacks unless it is listed in `platform` (what the Fargate platform itself
 * provides: region, credentials, endpoints): so a variable the stack adds or drops fails here
 * instead of at deploy time.
 */
export function localEnvironment(
  container: TaskContainer,
  local: Readonly<Record<string, string>>,
  platform: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(container.environment)) {
    const replacement = local[name];
    if (replacement === undefined && value === undefined) {
      throw new Error(
        `${container.name}: ${name} is resolved by CloudFormation; give a local value`,
      );
    }
    environment[name] = replacement ?? (value as string);
  }
  for (const name of container.secrets) {
    const secret = local[name];
    if (secret === undefined)
      throw new Error(`${container.name}: secret ${name} needs a local value`);
    environment[name] = secret;
  }
  for (const name of Object.keys(local)) {
    if (!(name in environment)) {
      throw new Error(`${container.name}: ${name} is not in the task definition`);
    }
  }
  return { ...environment, ...platform };
}
