import { MAX_RECEIVE_COUNT } from '#contract/delivery';
import { loadLocalPipelineConfig } from '../../../scripts/local/pipeline-config';
import { configErrorFrom } from '../../helpers/process-env';

describe('local pipeline configuration', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    expect(loadLocalPipelineConfig({})).toEqual({
      apiPort: 3000,
      sqsPort: 9324,
      databasePort: 0,
      maxReceiveCount: MAX_RECEIVE_COUNT,
      apiRestartDelayMs: 15_000,
      headerName: 'x-custom-auth',
    });
  });

  it('when the settings are given, then they are used', () => {
    expect(
      loadLocalPipelineConfig({
        PORT: '3100',
        LOCAL_SQS_PORT: '0',
        LOCAL_DATABASE_PORT: '15432',
        LOCAL_MAX_RECEIVE_COUNT: '3',
        LOCAL_API_RESTART_DELAY_MS: '0',
        AUTH_HEADER_NAME: 'X-Origin-Auth',
      }),
    ).toEqual({
      apiPort: 3100,
      sqsPort: 0,
      databasePort: 15432,
      maxReceiveCount: 3,
      apiRestartDelayMs: 0,
      headerName: 'x-origin-auth',
    });
  });

  it.each([
    ['LOCAL_API_RESTART_DELAY_MS', '15s'],
    ['LOCAL_API_RESTART_DELAY_MS', '-1'],
    ['LOCAL_MAX_RECEIVE_COUNT', '0'],
    ['LOCAL_SQS_PORT', '70000'],
    ['LOCAL_DATABASE_PORT', 'pg'],
    ['PORT', 'http'],
  ])('when %s is %j, then start-up fails naming the variable', (name, value) => {
    const error = configErrorFrom(() => loadLocalPipelineConfig({ [name]: value }));

    expect(error.message).toContain(`${name}:`);
  });
});
