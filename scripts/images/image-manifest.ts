import path from 'node:path';
import type { ServiceImageTarget } from '../../stacks/service-image';

/** What `build-images.ts` built, for the image tests and the benchmarks page. */
export interface ImageManifest {
  readonly builtAt: string;
  readonly engine: 'docker' | 'podman';
  readonly baseImage: {
    readonly reference: string;
    /** `stand-in`: built here because no registry could be reached. */
    readonly source: 'local' | 'pulled' | 'stand-in';
    readonly seconds: number;
    readonly sizeBytes?: number;
  };
  readonly images: Partial<
    Record<
      ServiceImageTarget,
      {
        readonly tag: string;
        readonly seconds: number;
        readonly sizeBytes: number;
        /** What the target's own layers add to the base image. */
        readonly addedToBaseBytes: number;
      }
    >
  >;
}

export const IMAGE_MANIFEST_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  '.data',
  'images',
  'manifest.json',
);

/** The local tag of a Dockerfile target's image. */
export function imageTag(target: ServiceImageTarget): string {
  return `localhost/cognito-user-sync-${target}:local`;
}
