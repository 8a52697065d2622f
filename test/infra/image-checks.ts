import fs from 'node:fs';
import path from 'node:path';
import type { ContainerCommand } from '../../scripts/images/expected-image-files';
import { parseDockerfileStages } from '../../scripts/dockerfile-stages';
import { SERVICE_DOCKERFILE } from '../../stacks/service-image';
import { intrinsic, isObject, type CfnTemplate } from './template-references';
import type { ContainerImageSource } from './synth-app';

/**
 * Checks on the images the task definitions run, before Docker builds any: each container's
 * image asset builds the repository's Dockerfile, and at a `--target` stage it defines. (Without a
 * target Docker would build the last stage, whatever that is.)
 */

/** The Dockerfile an image asset builds, as synth staged it; undefined when it is missing. */
export function stagedDockerfile(source: ContainerImageSource): string | undefined {
  const file = path.join(source.contextDirectory, source.dockerFile ?? SERVICE_DOCKERFILE);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/**
 * Problems with each container's image source: another Dockerfile than the repository's, one
 * missing from the staged context, no target, or a target the Dockerfile has no stage for.
 */
export function imageSourceProblems(
  sources: Readonly<Record<string, ContainerImageSource>>,
  readDockerfile: (source: ContainerImageSource) => string | undefined = stagedDockerfile,
): string[] {
  const problems: string[] = [];
  for (const [container, source] of Object.entries(sources)) {
    if ((source.dockerFile ?? SERVICE_DOCKERFILE) !== SERVICE_DOCKERFILE) {
      problems.push(
        `container ${container} builds ${source.dockerFile}, not the repository's ${SERVICE_DOCKERFILE}`,
      );
    }
    const dockerfile = readDockerfile(source);
    if (dockerfile === undefined) {
      problems.push(`container ${container}: its Dockerfile is not in the staged build context`);
      continue;
    }
    const target = source.dockerBuildTarget;
    const stageNames = parseDockerfileStages(dockerfile).map((stage) => stage.name);
    if (target === undefined) {
      problems.push(`container ${container} names no --target; Docker would build the last stage`);
    } else if (!stageNames.includes(target)) {
      problems.push(
        `container ${container} builds --target ${target}; the Dockerfile's stages are ` +
          stageNames.filter((name) => name !== undefined).join(', '),
      );
    }
  }
  return problems;
}

/**
 * What each task definition container runs: its target (from its image source), its `Command`
 * and `WorkingDirectory`, as `expectedImageFiles` takes them. A command word that is an
 * intrinsic is kept as its JSON, so the check reports it instead of guessing.
 */
export function containerCommandsOf(
  template: CfnTemplate,
  sources: Readonly<Record<string, ContainerImageSource>>,
): ContainerCommand[] {
  const commands: ContainerCommand[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
    const containers = resource.Properties?.ContainerDefinitions;
    for (const container of Array.isArray(containers) ? containers : []) {
      if (!isObject(container) || typeof container.Name !== 'string') continue;
      const target = sources[container.Name]?.dockerBuildTarget;
      if (target === undefined) continue; // imageSourceProblems reports it
      const command = Array.isArray(container.Command)
        ? container.Command.map((word: unknown) =>
            typeof word === 'string' && intrinsic(word) === undefined ? word : JSON.stringify(word),
          )
        : undefined;
      commands.push({
        runBy: `container ${container.Name}`,
        target,
        ...(command === undefined ? {} : { command }),
        ...(typeof container.WorkingDirectory === 'string'
          ? { workingDirectory: container.WorkingDirectory }
          : {}),
      });
    }
  }
  return commands;
}
