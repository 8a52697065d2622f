import * as z from 'zod';
import {
  apiUrlTransportProblem,
  chooseHeaderSource,
  ConfigError,
  envFields,
  headerSourceProblem,
  isLoopbackHost,
  parseEnv,
} from '#contract/config';
import { newHeaderSecret } from '../../../fixtures/registrations';
import { configErrorFrom } from '../../helpers/process-env';

const messageOf = (run: () => unknown): string => configErrorFrom(run).message;

describe('parseEnv', () => {
  const schema = z.object({
    NAME: z.string().default('fallback'),
    COUNT: z.coerce.number().int(),
  });

  it('when the variables are valid, then a frozen typed object comes back and other variables are ignored', () => {
    const parsed = parseEnv(schema, { NAME: 'given', COUNT: '3', UNRELATED: 'x' });

    expect(parsed).toEqual({ NAME: 'given', COUNT: 3 });
    expect(Object.isFrozen(parsed)).toBe(true);
  });

  it('when a variable is set to the empty string, then it counts as unset: its default applies, a required one is missing', () => {
    expect(parseEnv(schema, { NAME: '', COUNT: '1' }).NAME).toBe('fallback');
    expect(parseEnv(schema, { NAME: undefined, COUNT: '1' }).NAME).toBe('fallback');

    const error = configErrorFrom(() => parseEnv(schema, { NAME: 'x', COUNT: '' }));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/^Invalid configuration: COUNT: /);
  });

  it('when several variables are bad, then each is named, joined by "; "', () => {
    const twoRequired = z.object({ FIRST: z.string(), SECOND: z.string() });

    const message = messageOf(() => parseEnv(twoRequired, {}));

    expect(message).toMatch(/^Invalid configuration: FIRST: [^;]+; SECOND: [^;]+$/);
  });

  it('when a problem belongs to no variable, then it is reported against the environment', () => {
    const whole = z.object({}).refine(() => false, 'nothing fits');

    expect(messageOf(() => parseEnv(whole, {}))).toBe(
      'Invalid configuration: (environment): nothing fits',
    );
  });
});

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST', '::1', '[::1]', '127.0.0.1', '127.255.1.20', '127.0.0.001'])(
    'when the host is %s, then it never leaves the machine',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
    },
  );

  it.each([
    'example.com',
    '128.0.0.1',
    '10.0.0.1',
    '127.1',
    '127.0.0.1.example.com',
    'x127.0.0.1',
    '127.0.0.1x',
    '127.0.0.1234',
    'localhost.example.com',
    'mylocalhost',
    '::2',
    '[::1]x',
  ])('when the host is %s, then it is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('apiUrlTransportProblem', () => {
  const refusal =
    'API_URL: must be https (plain http only to a loopback host such as 127.0.0.1 or localhost, ' +
    'or with ALLOW_PLAIN_HTTP_API=true)';

  it('when the API is https, or plain http on loopback, then it may be called', () => {
    expect(apiUrlTransportProblem('https://api.example.com', false)).toBeUndefined();
    expect(apiUrlTransportProblem('http://127.0.0.1:3000', false)).toBeUndefined();
    expect(apiUrlTransportProblem('http://[::1]:3000', false)).toBeUndefined();
    expect(apiUrlTransportProblem('http://localhost', false)).toBeUndefined();
  });

  it('when plain http leaves the machine, then it is refused unless explicitly allowed', () => {
    expect(apiUrlTransportProblem('http://api.example.com', false)).toBe(refusal);
    expect(apiUrlTransportProblem('http://api.example.com', true)).toBeUndefined();
  });
});

describe('envFields', () => {
  const parse = <T extends z.ZodType>(field: T, value: unknown) => field.safeParse(value);
  const issueOf = <T extends z.ZodType>(field: T, value: unknown): string => {
    const result = field.safeParse(value);
    if (result.success) throw new Error('expected a failure');
    return result.error.issues.map((issue) => issue.message).join(' | ');
  };

  it('when a header name is given in any case, then it is lower-cased; unset, it is x-custom-auth', () => {
    expect(parse(envFields.authHeaderName, 'X-Origin-Verify')).toEqual({
      success: true,
      data: 'x-origin-verify',
    });
    expect(parse(envFields.authHeaderName, undefined)).toEqual({
      success: true,
      data: 'x-custom-auth',
    });
    expect(parse(envFields.authHeaderName, `A${'b'.repeat(63)}`).data).toBe(`a${'b'.repeat(63)}`);
  });

  it.each(['x custom', 'x_custom', 'x:auth', 'ä', 'b'.repeat(65), ' x-auth', 'x-auth '])(
    'when the header name is %j, then it is refused as no header name',
    (name) => {
      expect(issueOf(envFields.authHeaderName, name)).toBe(
        'must be an HTTP header name (letters, digits, dashes)',
      );
    },
  );

  it('when a header value is unfit, then the problem is reported without the value', () => {
    const short = 'short-secret';
    expect(issueOf(envFields.headerSecret, short)).toBe('must be at least 32 characters');
    const secret = newHeaderSecret();
    expect(parse(envFields.headerSecret, secret)).toEqual({ success: true, data: secret });
  });

  it('when a list of header values is given, then it is split, each checked and numbered from 1', () => {
    const [current, previous] = [newHeaderSecret(), newHeaderSecret()];
    expect(parse(envFields.headerSecretList, ` ${current} , ${previous} `)).toEqual({
      success: true,
      data: [current, previous],
    });
    expect(issueOf(envFields.headerSecretList, `${current},short`)).toBe(
      'value 2 must be at least 32 characters',
    );
    expect(issueOf(envFields.headerSecretList, `short,${current}`)).toBe(
      'value 1 must be at least 32 characters',
    );
    expect(issueOf(envFields.headerSecretList, ' , ')).toBe('must list at least one value');
  });

  it('when a secret ARN is given, then only a Secrets Manager ARN of any partition passes', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';
    expect(parse(envFields.secretArn, arn).success).toBe(true);
    expect(parse(envFields.secretArn, arn.replace('arn:aws:', 'arn:aws-us-gov:')).success).toBe(
      true,
    );
    for (const wrong of [
      arn.replace('secretsmanager', 'ssm'),
      `x${arn}`,
      'secretsmanager:eu-west-1',
    ]) {
      expect(issueOf(envFields.secretArn, wrong)).toBe('must be a Secrets Manager secret ARN');
    }
  });

  it('when a URL is given, then only http and https pass', () => {
    expect(parse(envFields.httpUrl, 'http://127.0.0.1:3000').success).toBe(true);
    expect(parse(envFields.httpUrl, 'https://api.example.com/base').success).toBe(true);
    expect(issueOf(envFields.httpUrl, 'ftp://example.com')).toBe('must be an http(s) URL');
    expect(issueOf(envFields.httpUrl, 'not a url')).toBe('must be an http(s) URL');
  });

  it('when ALLOW_PLAIN_HTTP_API is true, false or unset, then it is a boolean defaulting to false; anything else is refused', () => {
    expect(parse(envFields.allowPlainHttpApi, 'true')).toEqual({ success: true, data: true });
    expect(parse(envFields.allowPlainHttpApi, 'false')).toEqual({ success: true, data: false });
    expect(parse(envFields.allowPlainHttpApi, undefined)).toEqual({ success: true, data: false });
    expect(parse(envFields.allowPlainHttpApi, 'yes').success).toBe(false);
    expect(parse(envFields.allowPlainHttpApi, 'TRUE').success).toBe(false);
  });

  it('when a port is given, then 0 to 65535 pass as a number and anything else is refused', () => {
    expect(parse(envFields.port, '0')).toEqual({ success: true, data: 0 });
    expect(parse(envFields.port, '65535')).toEqual({ success: true, data: 65535 });
    for (const wrong of ['-1', '65536', '80.5', 'http']) {
      expect(parse(envFields.port, wrong).success).toBe(false);
    }
  });

  it('when a log level is given, then it must be one of pino’s, defaulting to info', () => {
    expect(parse(envFields.logLevel, undefined)).toEqual({ success: true, data: 'info' });
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      expect(parse(envFields.logLevel, level)).toEqual({ success: true, data: level });
    }
    expect(parse(envFields.logLevel, 'verbose').success).toBe(false);
  });

  it('when a positive integer is asked for, then its fallback applies when unset and 0, negatives and fractions are refused', () => {
    const field = envFields.positiveInt(1500);
    expect(parse(field, undefined)).toEqual({ success: true, data: 1500 });
    expect(parse(field, '1')).toEqual({ success: true, data: 1 });
    for (const wrong of ['0', '-5', '2.5', 'soon']) {
      expect(parse(field, wrong).success).toBe(false);
    }
  });
});

describe('header source choice', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:header-AbCdEf';
  const both =
    'AUTH_HEADER_SECRET: set exactly one of AUTH_HEADER_SECRET (the value, locally) or AUTH_SECRET_ARN (in AWS), not both or neither';

  it('when exactly one source is set, then there is no problem', () => {
    expect(headerSourceProblem('AUTH_HEADER_SECRET', { value: 'v', secretArn: undefined })).toBe(
      undefined,
    );
    expect(headerSourceProblem('AUTH_HEADER_SECRET', { value: undefined, secretArn: arn })).toBe(
      undefined,
    );
  });

  it('when both or neither are set, then the one message names the variable', () => {
    expect(headerSourceProblem('AUTH_HEADER_SECRET', { value: 'v', secretArn: arn })).toBe(both);
    expect(
      headerSourceProblem('AUTH_HEADER_SECRET', { value: undefined, secretArn: undefined }),
    ).toBe(both);
    expect(headerSourceProblem('AUTH_HEADER_SECRETS', { value: [], secretArn: arn })).toMatch(
      /^AUTH_HEADER_SECRETS: set exactly one of AUTH_HEADER_SECRETS /,
    );
  });

  it('when the value is given, then the choice is static; when the ARN is, Secrets Manager', () => {
    expect(chooseHeaderSource('AUTH_HEADER_SECRET', 'value', undefined)).toEqual({
      kind: 'static',
      value: 'value',
    });
    expect(chooseHeaderSource('AUTH_HEADER_SECRET', undefined, arn)).toEqual({
      kind: 'secrets-manager',
      secretArn: arn,
    });
  });

  it('when both or neither are given, then a ConfigError carries the message', () => {
    for (const [value, secretArn] of [
      ['value', arn],
      [undefined, undefined],
    ] as const) {
      const error = configErrorFrom(() =>
        chooseHeaderSource('AUTH_HEADER_SECRET', value, secretArn),
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(`Invalid configuration: ${both}`);
    }
  });
});
