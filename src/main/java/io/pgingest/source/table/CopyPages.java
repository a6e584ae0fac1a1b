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
 * Reads a page ({@link #read}), or a whole table cut into batches ({@link #stream}), with
 * {@code COPY (<query>) TO STDOUT (FORMAT binary)} instead of a result set, when every column has a
 * {@link BinaryReaders binary reader}. The page stays in the server's binary form
 * ({@link CopyRows}): a PostgreSQL destination with the same column types copies it on without decoding it
 * (a historical load of a million rows into PostgreSQL then costs the JVM a fraction of the CPU), any other
 * destination decodes it into the same values a result set gives. COPY takes no bind parameters: the page
 * query's are written into it as literals ({@link #inline}).
 */
public final class CopyPages {

    private CopyPages() {
    }

    /** Takes the batches of {@link #stream}. */
    @FunctionalInterface
    public interface Batches {
        /** @param last whether this is the last batch (it may hold no row) */
        void accept(CopyRows rows, boolean last) throws Exception;
    }

    /**
     * Reads {@code COPY (<select> LIMIT <limit + 1>) TO STDOUT (FORMAT binary)} into batches of {@code batchRows} rows
     * (the last one, possibly empty, marked), at most {@code limit} rows in all; returns whether the query had more.
     * The stream is always read to its end, so that the connection can go on being used: after a failure of
     * {@code batches} the rest is read and dropped before the failure is thrown.
     */
    public static boolean stream(Connection connection, String select, BinaryReaders.Readers readers, int batchRows, long limit,
                                 Batches batches) throws Exception {
        Splitter pages = new Splitter(readers);
        org.postgresql.copy.CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (" + select
                + (limit < Long.MAX_VALUE ? " LIMIT " + (limit + 1) : "") + ") TO STDOUT (FORMAT binary)");
        long sent = 0;
        try {
            byte[] data;
            while ((data = copy.readFromCopy()) != null) {
                pages.add(data);
                while (pages.tuples() >= batchRows && sent + batchRows <= limit) {
                    batches.accept(pages.take(batchRows), false);
                    sent += batchRows;
                }
            }
        } catch (Exception e) {
            try {
                while (copy.isActive() && copy.readFromCopy() != null) {
                    // the rest of the stream, dropped: the connection stays usable
                }
            } catch (SQLException drain) {
                e.addSuppressed(drain);
            }
            throw e;
        }
        int last = (int) Math.min(pages.tuples(), limit - sent);
        boolean more = pages.tuples() > last;
        batches.accept(pages.take(last), true);
        return more;
    }

    /** A keyset page: its rows, and its last row's cursor texts (empty when the page is). */
    public record Page(List<Object[]> rows, List<String> lastCursor) {
        static final Page END = new Page(List.of(), List.of());
    }

    /** The page's rows and its last row's cursor texts (empty when the page is). */
    public static Page read(Connection connection, String pageSql, List<Object> parameters,
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
        return new Page(rows, last);
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

    /**
     * Cuts the binary COPY stream of a whole table ({@code COPY (<query>) TO STDOUT (FORMAT binary)}, read message by
     * message) into pages of complete tuples, whatever the message boundaries. Not thread-safe.
     */
    static final class Splitter {
        private static final int HEADER = 19;
        private static final byte[] TRAILER = {(byte) 0xFF, (byte) 0xFF};

        private final BinaryReaders.Readers readers;
        private final int fields;
        /** The stream's bytes not handed out yet, from a tuple's start (the header removed). */
        private byte[] bytes = new byte[1 << 16];
        private int size;
        /** Where the first tuple not yet complete starts, and the complete tuples before it. */
        private int scanned;
        private int tuples;
        private boolean headerRead;
        private boolean ended;

        Splitter(BinaryReaders.Readers readers) {
            this.readers = readers;
            this.fields = readers.readers().size();
        }

        /** Adds the bytes of one CopyData message. */
        void add(byte[] data) {
            if (ended) {
                throw new IllegalArgumentException("malformed binary COPY data: bytes after the trailer");
            }
            if (size + data.length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + data.length));
            }
            System.arraycopy(data, 0, bytes, size, data.length);
            size += data.length;
            if (!headerRead) {
                if (!Arrays.equals(bytes, 0, Math.min(size, 11), BINARY_HEADER, 0, Math.min(size, 11))) {
                    throw new IllegalArgumentException("not PostgreSQL binary COPY data (no signature)");
                }
                if (size < HEADER) {
                    return;
                }
                int extension = HEADER + int4(15);
                if (size < extension) {
                    return;
                }
                System.arraycopy(bytes, extension, bytes, 0, size - extension);
                size -= extension;
                headerRead = true;
            }
            count();
        }

        private void count() {
            while (scanned + 2 <= size) {
                int count = (short) ((bytes[scanned] & 0xFF) << 8 | (bytes[scanned + 1] & 0xFF));
                if (count == -1) {
                    ended = true;
                    size = scanned;
                    return;
                }
                int p = scanned + 2;
                for (int f = 0; f < count; f++) {
                    if (p + 4 > size) {
                        return;
                    }
                    int len = int4(p);
                    p += 4 + Math.max(len, 0);
                }
                if (p > size) {
                    return;
                }
                scanned = p;
                tuples++;
            }
        }

        private int int4(int p) {
            return (bytes[p] & 0xFF) << 24 | (bytes[p + 1] & 0xFF) << 16 | (bytes[p + 2] & 0xFF) << 8 | (bytes[p + 3] & 0xFF);
        }

        /** The complete tuples received and not handed out yet. */
        int tuples() {
            return tuples;
        }

        /** Whether the stream's trailer was received. */
        boolean ended() {
            return ended;
        }

        /** Hands out the first {@code n} complete tuples (at most {@link #tuples()}) as rows. */
        CopyRows take(int n) {
            int end = 0;
            for (int t = 0; t < n; t++) {
                int p = end + 2;
                for (int f = 0; f < fields; f++) {
                    int len = int4(p);
                    p += 4 + Math.max(len, 0);
                }
                end = p;
            }
            byte[] page = withEnds(0, end);
            CopyRows rows = CopyRows.parse(page, page.length, readers.readers(), readers.binaryTypes(), 0);
            System.arraycopy(bytes, end, bytes, 0, size - end);
            size -= end;
            scanned -= end;
            tuples -= n;
            return rows;
        }

        /** The tuples from {@code from} to {@code to} as a whole COPY stream: a header, them, the trailer. */
        private byte[] withEnds(int from, int to) {
            byte[] page = new byte[HEADER + (to - from) + TRAILER.length];
            System.arraycopy(BINARY_HEADER, 0, page, 0, HEADER);
            System.arraycopy(bytes, from, page, HEADER, to - from);
            System.arraycopy(TRAILER, 0, page, HEADER + (to - from), TRAILER.length);
            return page;
        }
    }

    private static final byte[] BINARY_HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};

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
