import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { headerSecretProblem } from '#contract/auth-header';
import {
  generateHeaderSecret,
  maskSecret,
  startLocalPipeline,
} from '../../../scripts/local/local-pipeline';
import { createLocalSqsClient } from '../../../scripts/local/local-sqs';
import { readPipelineSettings } from '../../../scripts/local/pipeline-settings';
import { queueDepth, sendBodies, waitFor } from '../../helpers/local-sqs';
import { newHeaderSecret, newRegistration } from '../../helpers/registrations';
import { startStubApi } from '../../helpers/stub-api';

describe('local pipeline', () => {
  it('when a header secret is generated, then it is 48 characters fit to be a header value and prints masked', () => {
    const secrets = new Set(Array.from({ length: 20 }, generateHeaderSecret));

    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(secret).toHaveLength(48);
      expect(headerSecretProblem(secret)).toBeUndefined();
      expect(maskSecret(secret)).toBe(`${secret.slice(0, 4)}…`);
    }
  });

  it('when started against an existing API, then it serves a queue pair, writes owner-only settings, delivers, and cleans up on stop', async () => {
    const api = await startStubApi();
    const headerSecret = newHeaderSecret();
    const settingsFile = path.join(tmpdir(), `local-pipeline-${process.pid}-${Date.now()}.json`);
    const cognitoDir = await mkdtemp(path.join(tmpdir(), 'local-pipeline-cognito-'));
    const pipeline = await startLocalPipeline({
      env: {
        PATH: process.env['PATH'],
        API_URL: api.url,
        AUTH_HEADER_SECRET: headerSecret,
        LOCAL_SQS_PORT: '0',
        LOCAL_COGNITO_PORT: '0',
        LOCAL_LAMBDA_PORT: '0',
        LOCAL_COGNITO_DIR: cognitoDir,
        RECEIVE_WAIT_SECONDS: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
      settingsFile,
    });
    try {
      const written = await readPipelineSettings(settingsFile);
      const mode = (await stat(settingsFile)).mode & 0o777;
      const registration = newRegistration();
      const sqs = createLocalSqsClient(pipeline.settings.sqsEndpoint, pipeline.settings.region);

      await sendBodies(sqs, pipeline.settings.queueUrl, [JSON.stringify(registration)]);
      await waitFor(() => api.requests.length === 1, 'the consumer child to deliver', {
        timeoutMs: 20_000,
      });
      await waitFor(
        async () => (await queueDepth(sqs, pipeline.settings.queueUrl)).total === 0,
        'the delete',
      );

      expect(mode).toBe(0o600);
      expect(written).toEqual(pipeline.settings);
      expect(written).toMatchObject({ apiUrl: api.url, headerName: 'x-custom-auth', headerSecret });
      expect(api.requests[0]?.headers['x-custom-auth']).toBe(headerSecret);
      expect(api.requests[0]?.body['sub']).toBe(registration.sub);
      sqs.destroy();
    } finally {
      await pipeline.stop();
      await api.close();
      await rm(cognitoDir, { recursive: true, force: true });
    }

    expect(pipeline.consumer.exitCode).toBe(0);
    expect(pipeline.cognito.pool.child.exitCode).toBe(0);
    expect(pipeline.cognito.lambda.child.exitCode).toBe(0);
    expect(await readPipelineSettings(settingsFile)).toBeUndefined();
    // The user pool and its trigger start too: two processes that load the AWS SDKs.
  }, 120_000);
});
