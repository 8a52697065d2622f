import { App } from 'aws-cdk-lib';
import { readDeploymentSettings } from '../../stacks/settings';
import { synthApp, TEST_HOSTED_ZONE } from './synth-app';

const settingsFrom = (context: Record<string, string>) =>
  readDeploymentSettings(new App({ context }).node);

const CERTIFICATE_ARN =
  'arn:aws:acm:eu-west-1:111122223333:certificate/00000000-0000-0000-0000-000000000000';

describe('TLS settings', () => {
  test('when prod is given no TLS settings, then synth fails saying what to set', () => {
    expect(() => settingsFrom({ stage: 'prod' })).toThrow(
      /the API needs TLS: set hostedZoneId, hostedZoneName and apiDomainName .* or certificateArn and apiDomainName/,
    );
  });

  test('when any stage is given no TLS settings, then synth fails and names the opt-out', () => {
    expect(() => settingsFrom({})).toThrow(/allowInsecureHttp=true/);
  });

  test('when prod asks for plain HTTP, then the opt-in is refused', () => {
    expect(() => settingsFrom({ stage: 'prod', allowInsecureHttp: 'true' })).toThrow(
      /"allowInsecureHttp" is refused for stage "prod"/,
    );
  });

  test('when a hosted zone is given, then the API name must lie in it', () => {
    expect(() => settingsFrom({ ...TEST_HOSTED_ZONE, apiDomainName: 'api.example.org' })).toThrow(
      /"apiDomainName" must lie in the zone/,
    );
    expect(() => settingsFrom({ ...TEST_HOSTED_ZONE, hostedZoneName: '' })).toThrow(
      /needs a certificate/,
    );
  });

  test('when both a hosted zone and a certificate ARN are given, then synth asks for one', () => {
    expect(() => settingsFrom({ ...TEST_HOSTED_ZONE, certificateArn: CERTIFICATE_ARN })).toThrow(
      /alternatives; set one/,
    );
  });

  test('when plain HTTP is opted into with TLS settings too, then the contradiction is refused', () => {
    expect(() => settingsFrom({ ...TEST_HOSTED_ZONE, allowInsecureHttp: 'true' })).toThrow(
      /contradicts/,
    );
  });

  test('the three valid forms are read as such', () => {
    expect(settingsFrom({ ...TEST_HOSTED_ZONE }).tls).toEqual({
      kind: 'hosted-zone',
      ...TEST_HOSTED_ZONE,
    });
    expect(
      settingsFrom({ certificateArn: CERTIFICATE_ARN, apiDomainName: 'API.example.com.' }).tls,
    ).toEqual({
      kind: 'certificate',
      certificateArn: CERTIFICATE_ARN,
      apiDomainName: 'api.example.com',
    });
    expect(settingsFrom({ allowInsecureHttp: 'true' }).tls).toEqual({ kind: 'insecure-http' });
  });
});

describe('API listener from a hosted zone (offline, no lookup)', () => {
  const { template, json } = synthApp({ stage: 'tlstest', ...TEST_HOSTED_ZONE });

  test('a DNS-validated certificate for the API name, in the given zone', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'api.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [
        { DomainName: 'api.example.com', HostedZoneId: TEST_HOSTED_ZONE.hostedZoneId },
      ],
    });
  });

  test('an alias record for the load balancer, an HTTPS listener and an HTTP redirect', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'api.example.com.',
      Type: 'A',
      HostedZoneId: TEST_HOSTED_ZONE.hostedZoneId,
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443' } }],
    });
  });

  test('producer and consumer call https://<apiDomainName>, with no plain-http opt-in', () => {
    const text = JSON.stringify(json);
    expect(text).toContain('"API_URL","Value":"https://api.example.com"');
    expect(text).not.toContain('ALLOW_PLAIN_HTTP_API');
  });
});

describe('a dev stack that opted into plain HTTP', () => {
  const { json } = synthApp({ stage: 'httptest', allowInsecureHttp: true });

  test('tells both senders so, since they refuse plain http to a remote host otherwise', () => {
    const text = JSON.stringify(json);
    expect(text.match(/ALLOW_PLAIN_HTTP_API/g)).toHaveLength(2);
    expect(text).not.toContain('"Protocol":"HTTPS"');
  });
});
