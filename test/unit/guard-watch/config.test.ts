import { loadConfig } from '../../../guard-watch/config';
import { GUARD_ARNS, guardWatchEnv, guardWatchSettings } from '../../helpers/guard-state';
import { configErrorFrom } from '../../helpers/process-env';

describe('guard check config', () => {
  test('when every variable is set, then the ARNs are split into the name, id and scope the Get calls take', () => {
    const config = loadConfig(guardWatchEnv());

    expect(config).toStrictEqual(guardWatchSettings());
    expect(Object.isFrozen(config)).toBe(true);
  });

  test.each([
    ['WEB_ACL_ARN', { WEB_ACL_ARN: undefined }],
    ['WEB_ACL_ARN', { WEB_ACL_ARN: GUARD_ARNS.natIpSet }],
    ['NAT_IP_SET_ARN', { NAT_IP_SET_ARN: GUARD_ARNS.webAcl }],
    ['LOAD_BALANCER_ARN', { LOAD_BALANCER_ARN: 'arn:aws:elasticloadbalancing:eu-west-1:1:x' }],
    ['EXPECTED_NAT_ADDRESSES', { EXPECTED_NAT_ADDRESSES: ' , ' }],
    ['EXPECTED_NAT_ADDRESSES', { EXPECTED_NAT_ADDRESSES: '203.0.113.10/33' }],
    ['EXPECTED_NAT_ADDRESSES', { EXPECTED_NAT_ADDRESSES: 'nat.example.com' }],
    ['ALLOW_RULE_NAME', { ALLOW_RULE_NAME: undefined }],
    ['BLOCK_RULE_NAME', { BLOCK_RULE_NAME: '' }],
    ['REGISTRATION_PATH_PATTERN', { REGISTRATION_PATH_PATTERN: undefined }],
  ])('when %s is invalid or missing, then the error names it', (variable, overrides) => {
    const error = configErrorFrom(() => loadConfig({ ...guardWatchEnv(), ...overrides }));

    expect(error.message).toContain(`${variable}:`);
  });
});
