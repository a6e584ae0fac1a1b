package io.pgingest.source.logical;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Names as Debezium 3.4's pgoutput decoder reads them. It turns each byte of a relation message's schema, table and
 * column names into one character ({@code (char) b} of a signed byte), so a name holding characters outside ASCII
 * (sent in UTF-8) arrives garbled: {@code é} (bytes C3 A9) as the two characters U+FFC3 U+FFA9. Records then carry the
 * garbled names, and Debezium's table filter sees them; the catalog, pg-ingest and Debezium's own JDBC reads have the
 * right ones. ASCII names are the same both ways (no work is done for them). Stateless.
 */
final class DebeziumNames {

    private DebeziumNames() {
    }

    /** The name a record's garbled name stands for (a name that is not such a garbling is returned as it is). */
    static String fromDebezium(String name) {
        if (name == null || ascii(name)) {
            return name;
        }
        byte[] bytes = new byte[name.length()];
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 0x80 && c < 0xFF80) {
                return name; // not a sign-extended byte: not garbled
            }
            bytes[i] = (byte) c;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return name; // not UTF-8 bytes: not garbled
        }
    }

    /** The garbled form in which a record carries {@code name}. */
    static String toDebezium(String name) {
        if (name == null || ascii(name)) {
            return name;
        }
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            out.append((char) b);
        }
        return out.toString();
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
