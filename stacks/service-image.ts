import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';

/** The Dockerfile's targets: `api` (API, migrations, reconciler) and `consumer`. */
export type ServiceImageTarget = 'api' | 'consumer';

/** The repository root's multi-target Dockerfile, relative to the build context. */
export const SERVICE_DOCKERFILE = 'Dockerfile';

/**
 * The platform the images are built for and the tasks run on: the two must agree, or a task
 * pulls an image it cannot execute.
 */
export const SERVICE_RUNTIME_PLATFORM: ecs.RuntimePlatform = {
  cpuArchitecture: ecs.CpuArchitecture.X86_64,
  operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
};

export interface ServiceImageProps {
  /** Repository root: the Docker build context, holding the Dockerfile. */
  readonly sourceRoot: string;
  readonly target: ServiceImageTarget;
}

/**
 * One target of the shared Dockerfile as an image asset. Synth only stages the context into
 * cdk.out/ (filtered by .dockerignore); Docker builds it at deploy time. Two constructs asking
 * for the same target hash to the same asset, so the API service and the reconciler task share
 * one image.
 */
export function serviceImage(
  scope: Construct,
  id: string,
  props: ServiceImageProps,
): ecs.ContainerImage {
  const asset = new ecrAssets.DockerImageAsset(scope, id, {
    directory: props.sourceRoot,
    file: SERVICE_DOCKERFILE,
    target: props.target,
    platform: ecrAssets.Platform.LINUX_AMD64,
  });
  return ecs.ContainerImage.fromDockerImageAsset(asset);
}
