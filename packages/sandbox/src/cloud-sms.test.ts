/**
 * The emulators' own signature checks, against the providers' published examples: Tencent Cloud's
 * TC3-HMAC-SHA256 DescribeInstances example and Alibaba Cloud's RPC DescribeRegions example. (The
 * server's clients are tested against the same vectors separately; the two implementations share
 * no code, so a mistake in one is caught by the other over HTTP.)
 */
import { describe, expect, it } from 'vitest';
import { rpcExpected, tc3Expected } from './cloud-sms.ts';

describe('SMS emulator signature checks', () => {
  it('Tencent: the documented example signature', () => {
    expect(
      tc3Expected({
        secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
        date: '2019-02-25',
        service: 'cvm',
        timestamp: 1551113065,
        headers: { 'content-type': 'application/json; charset=utf-8', host: 'cvm.tencentcloudapi.com' },
        signedHeaders: ['content-type', 'host'],
        body: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
      }),
    ).toBe('72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
  });

  it('Alibaba: the documented example signature', () => {
    const params = {
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      Format: 'XML',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      SignatureVersion: '1.0',
      Timestamp: '2016-02-23T12:46:24Z',
      Version: '2014-05-26',
    };
    expect(rpcExpected('GET', params, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });
});
