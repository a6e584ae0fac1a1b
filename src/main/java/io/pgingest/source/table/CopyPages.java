package io.pgingest.source.table;

import io.pgingest.event.CopyRows;
import io.pgingest.mapping.BinaryReaders;
import org.postgresql.PGConnection;

import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a page with {@code COPY (<page query>) TO STDOUT (FORMAT binary)} instead of a result set, when every
 * column has a {@link BinaryReaders binary reader}. The page stays in the server's binary form
 * ({@link CopyRows}): a PostgreSQL destination with the same column types copies it on without decoding it
 * (a historical load of a million rows into PostgreSQL then costs the JVM a fraction of the CPU), any other
 * destination decodes it into the same values a result set gives. COPY takes no bind parameters: the page
 * query's are written into it as literals ({@link #inline}).
 */
final class CopyPages {

    private CopyPages() {
    }

    /** The page's rows and its last row's cursor texts (empty when the page is). */
    static ObjectLoader.Page read(Connection connection, String pageSql, List<Object> parameters,
                                  BinaryReaders.Readers readers, int cursorColumns) throws SQLException {
        Bytes out = new Bytes();
        try {
            connection.unwrap(PGConnection.class).getCopyAPI()
                    .copyOut("COPY (" + inline(pageSql, parameters) + ") TO STDOUT (FORMAT binary)", out);
        } catch (IOException e) {
            throw new SQLException("reading a page with COPY failed: " + e.getMessage(), e);
        }
        CopyRows rows = CopyRows.parse(out.bytes, out.size, readers.readers(), readers.binaryTypes(), cursorColumns);
        List<String> last = rows.isEmpty() ? List.of() : rows.extraTexts(rows.size() - 1);
        return new ObjectLoader.Page(rows, last);
    }

    /**
     * {@code sql} with each {@code ?} outside quoted identifiers and literals replaced by its parameter: an
     * Integer as a number, a String as an escaped literal ({@code E'...'}, whatever standard_conforming_strings
     * says), null as NULL.
     */
    static String inline(String sql, List<Object> parameters) {
        StringBuilder out = new StringBuilder(sql.length() + 64);
        int next = 0;
        char quote = 0;
        for (int i = 0; i < sql.length(); i++) {
            char ch = sql.charAt(i);
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0; // a doubled quote closes and reopens: same result
                }
                out.append(ch);
            } else if (ch == '"' || ch == '\'') {
                quote = ch;
                out.append(ch);
            } else if (ch == '?') {
                if (next >= parameters.size()) {
                    throw new IllegalArgumentException("more placeholders than the " + parameters.size() + " parameters in: " + sql);
                }
                out.append(literal(parameters.get(next++)));
            } else {
                out.append(ch);
            }
        }
        if (next != parameters.size()) {
            throw new IllegalArgumentException(parameters.size() + " parameters for " + next + " placeholders in: " + sql);
        }
        return out.toString();
    }

    private static String literal(Object value) {
        if (value == null) {
            return "NULL";
        }
        if (value instanceof Integer || value instanceof Long) {
            return value.toString();
        }
        String s = value.toString();
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a cursor value holds a NUL character, which no PostgreSQL text can");
        }
        return "E'" + s.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /** An output stream whose bytes are read in place. */
    private static final class Bytes extends OutputStream {
        private byte[] bytes = new byte[1 << 16];
        private int size;

        @Override
        public void write(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        private void ensure(int extra) {
            if (size + extra > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + extra));
            }
        }
    }
}
