import { AppError } from '@weunion/errors';
import { describe, expect, it } from 'vitest';
import { buildXml, parseXml } from './xml.ts';

describe('WeChat XML', () => {
  it('reads a pushed event with CDATA, whitespace between elements and a MsgId beyond 2^53 as strings', () => {
    const xml = `<xml>
  <ToUserName><![CDATA[gh_d0000000a001]]></ToUserName>
  <FromUserName><![CDATA[oUser]]></FromUserName>
  <CreateTime>1409735669</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[subscribe]]></Event>
  <EventKey><![CDATA[]]></EventKey>
  <MsgId>6054768590064713728</MsgId>
</xml>`;
    expect(parseXml(xml)).toEqual({
      ToUserName: 'gh_d0000000a001',
      FromUserName: 'oUser',
      CreateTime: '1409735669',
      MsgType: 'event',
      Event: 'subscribe',
      EventKey: '',
      MsgId: '6054768590064713728',
    });
  });

  it('writes strings as CDATA and numbers as text, and reads its own output back', () => {
    const record = { ToUserName: 'a<b>&c', Content: 'tricky ]]> end', CreateTime: 1409735669 };
    const xml = buildXml(record);
    expect(xml).toContain('<CreateTime>1409735669</CreateTime>');
    expect(xml).toContain('<ToUserName><![CDATA[a<b>&c]]></ToUserName>');
    expect(parseXml(xml)).toEqual({ ToUserName: 'a<b>&c', Content: 'tricky ]]> end', CreateTime: '1409735669' });
  });

  it('refuses documents that declare entities (no entity expansion)', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><xml><A>&b;</A></xml>`;
    expect(() => parseXml(bomb)).toThrow(AppError);
    const external = `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><A>&x;</A></xml>`;
    expect(() => parseXml(external)).toThrow(AppError);
  });

  it("reads a person's text that looks like a declaration (inside CDATA), but no declaration hidden after a comment or a section", () => {
    const text = '<xml><Content><![CDATA[<!DOCTYPE html> and <!ENTITY x "y">]]></Content><!-- <!DOCTYPE --></xml>';
    expect(parseXml(text)).toEqual({ Content: '<!DOCTYPE html> and <!ENTITY x "y">' });
    expect(parseXml(buildXml({ Content: 'what is <!ENTITY in XML?' }))).toEqual({ Content: 'what is <!ENTITY in XML?' });
    const hidden = [
      '<!-- <![CDATA[ --><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><!-- ]]> --><xml><A>&x;</A></xml>',
      '<![CDATA[ x ]]><!DOCTYPE xml [<!ENTITY a "b">]><xml><A>&a;</A></xml>',
      '<!ELEMENT xml ANY><xml><A>1</A></xml>',
      '<xml><A><![CDATA[ unterminated <!DOCTYPE </A></xml>',
    ];
    for (const document of hidden) expect(() => parseXml(document), document).toThrow(AppError);
  });

  it('refuses malformed XML', () => {
    expect(() => parseXml('<xml><A>1</B></xml>')).toThrow(AppError);
    expect(() => parseXml('not xml')).toThrow(AppError);
  });

  it('rejects element names that would break the document', () => {
    expect(() => buildXml({ 'a><b': 'x' })).toThrow(TypeError);
  });
});
