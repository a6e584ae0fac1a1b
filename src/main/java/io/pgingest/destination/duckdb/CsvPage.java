package io.pgingest.destination.duckdb;

import io.pgingest.destination.NumericType;
import io.pgingest.destination.Sql;
import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LogicalType;
import io.pgingest.mapping.BinaryReaders;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A page of rows still in PostgreSQL's binary COPY form ({@link CopyRows}) written as a CSV file that DuckDB's
 * {@code read_csv} reads back as exactly the values the appender would have written ({@link DuckDbAppend}): DuckDB
 * then parses and inserts the rows natively, in parallel, and the JVM neither decodes them into objects nor appends
 * them value by value (for 1M rows of {@code pgbench_accounts} 0.26 s in DuckDB against about 1 s through the
 * appender, see bench/README.md). Only forms that are exact are written: integers, booleans, UUIDs, floats
 * (Java's digits, checked to read back as the value; DuckDB parses them correctly rounded), numerics (PostgreSQL's own text),
 * text, json, jsonb and bytea, times, intervals (the appender's text of them), and dates and timestamps of the years 1
 * to 9999 and infinity. A column of any other kind
 * ({@link #kinds} gives null), or a page holding a value this class does not write (an earlier or later year, text that
 * is not UTF-8, a numeric with more decimals than its DuckDB column, a row longer than DuckDB reads by default), is
 * appended through the appender as before ({@link #write} gives null). Text values are always quoted, so that an
 * empty string stays distinct from NULL (an empty unquoted field). Stateless.
 */
final class CsvPage {

    /** How a column's binary fields are written. */
    enum Kind { BOOLEAN, INT2, INT4, INT8, FLOAT4, FLOAT8, NUMERIC, TEXT, JSONB, BYTES, UUID, DATE, TIME, TIMESTAMP, TIMESTAMPTZ,
        /** A value staged as text: decoded as for the appender and written as the appender's text of it (interval). */
        INTERVAL }

    /** A written page: its file (the caller deletes it) and whether a text value holds a line break. */
    record File(Path path, boolean lineBreaks) {
    }

    /** Rows longer than this are left to the appender: DuckDB's read_csv reads lines of at most 2,097,152 bytes by default. */
    static final int MAX_ROW_BYTES = 2_000_000;
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;
    private static final long MICROS_PER_DAY = 86_400_000_000L;
    /** More than the microseconds between 2000-01-01 and any day of the years 1 to 9999. */
    private static final long MAX_MICROS = 10_000L * 366 * MICROS_PER_DAY;
    private static final int[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000};
    private static final int PG_EPOCH_DAY = 10_957;
    private static final int NUMERIC_NEGATIVE = 0x4000;
    private static final int NUMERIC_NAN = 0xC000;
    private static final int NUMERIC_PINF = 0xD000;
    private static final int NUMERIC_NINF = 0xF000;
    private static final byte[] INFINITY = "infinity".getBytes();
    private static final byte[] NEGATIVE_INFINITY = "-infinity".getBytes();

    private CsvPage() {
    }

    /**
     * Per column of {@code columns}, how its fields are written, given the type whose binary form they hold
     * ({@link CopyRows#binaryTypes()}) and the DuckDB type they are staged as; null when a column has no exact form here.
     */
    static Kind[] kinds(List<Column> columns, List<String> binaryTypes, String[] stagingTypes) {
        if (binaryTypes.size() != columns.size() || stagingTypes.length != columns.size()) {
            return null;
        }
        Kind[] kinds = new Kind[columns.size()];
        for (int i = 0; i < kinds.length; i++) {
            kinds[i] = kind(columns.get(i).type(), binaryTypes.get(i), stagingTypes[i]);
            if (kinds[i] == null) {
                return null;
            }
        }
        return kinds;
    }

    private static Kind kind(LogicalType type, String binaryType, String staging) {
        boolean varchar = staging.equals(DuckDbTypes.VARCHAR);
        return switch (binaryType) {
            case "boolean" -> type == LogicalType.BOOLEAN && staging.equals("BOOLEAN") ? Kind.BOOLEAN : null;
            case "smallint" -> type == LogicalType.INT16 && staging.equals("SMALLINT") ? Kind.INT2 : null;
            case "integer" -> type == LogicalType.INT32 && staging.equals("INTEGER") ? Kind.INT4 : null;
            case "bigint" -> type == LogicalType.INT64 && staging.equals("BIGINT") ? Kind.INT8 : null;
            case "real" -> type == LogicalType.FLOAT32 && staging.equals("FLOAT") ? Kind.FLOAT4 : null;
            case "double precision" -> type == LogicalType.FLOAT64 && staging.equals("DOUBLE") ? Kind.FLOAT8 : null;
            case "numeric" -> type == LogicalType.DECIMAL && (varchar || NumericType.parseDecimal(staging) != null)
                    ? Kind.NUMERIC : null;
            case "text", "json" -> (type == LogicalType.TEXT || type == LogicalType.JSON) && varchar ? Kind.TEXT : null;
            case "jsonb" -> type == LogicalType.JSON && varchar ? Kind.JSONB : null;
            case "bytea" -> type == LogicalType.BYTES && staging.equals("BLOB") ? Kind.BYTES : null;
            case "uuid" -> type == LogicalType.UUID && staging.equals("UUID") ? Kind.UUID : null;
            case "date" -> type == LogicalType.DATE && staging.equals("DATE") ? Kind.DATE : null;
            // time's fields hold its binary form (microseconds since midnight), read as LocalTime (BinaryReaders)
            case BinaryReaders.NOT_PASSED_ON -> type == LogicalType.TIME && staging.equals("TIME") ? Kind.TIME
                    : type == LogicalType.INTERVAL && varchar ? Kind.INTERVAL : null;
            case "timestamp without time zone" -> type == LogicalType.TIMESTAMP && staging.equals("TIMESTAMP")
                    ? Kind.TIMESTAMP : null;
            case "timestamp with time zone" -> type == LogicalType.TIMESTAMPTZ
                    && staging.equals("TIMESTAMP WITH TIME ZONE") ? Kind.TIMESTAMPTZ : null;
            default -> null;
        };
    }

    /**
     * Writes the rows into a new file in {@code directory}, each row starting with its index (counted from 0) when
     * {@code numbered}; null (and no file left) when a value has no exact form here.
     *
     * @param scales per column, the decimal scale of its DuckDB type, or -1
     */
    static File write(CopyRows rows, Kind[] kinds, int[] scales, boolean numbered, Path directory) throws IOException {
        Files.createDirectories(directory);
        Path path = Files.createTempFile(directory, "page-", ".csv");
        boolean written = false;
        try (OutputStream file = Files.newOutputStream(path)) {
            Buffer out = new Buffer(file);
            boolean lineBreaks = false;
            byte[] b = rows.bytes();
            for (int r = 0; r < rows.size(); r++) {
                long rowStart = out.written();
                if (numbered) {
                    out.number(r);
                    out.put(',');
                }
                int p = rows.columnsStart(r);
                for (int c = 0; c < kinds.length; c++) {
                    if (c > 0) {
                        out.put(',');
                    }
                    int len = int4(b, p);
                    p += 4;
                    if (len < 0) {
                        if (kinds.length == 1 && !numbered) {
                            return null; // an empty line: DuckDB 1.4 reads it as a NULL row, but blank lines are a reader's choice
                        }
                        continue; // NULL: an empty unquoted field
                    }
                    int result = kinds[c] == Kind.INTERVAL ? decodedText(out, rows, c, p, len)
                            : field(out, kinds[c], scales[c], b, p, len);
                    if (result < 0) {
                        return null;
                    }
                    lineBreaks |= result > 0;
                    p += len;
                }
                out.put('\n');
                if (out.written() - rowStart > MAX_ROW_BYTES) {
                    return null;
                }
            }
            out.flush();
            written = true;
            return new File(path, lineBreaks);
        } finally {
            if (!written) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Writes one non-null field; -1 when it has no exact form here, 1 when it is text holding a line break, else 0. */
    private static int field(Buffer out, Kind kind, int scale, byte[] b, int o, int n) throws IOException {
        switch (kind) {
            case BOOLEAN -> out.ascii(b[o] != 0 ? "true" : "false");
            case INT2 -> out.number((short) (((b[o] & 0xFF) << 8) | (b[o + 1] & 0xFF)));
            case INT4 -> out.number(int4(b, o));
            case INT8 -> out.number(long8(b, o));
            case FLOAT4 -> {
                float f = Float.intBitsToFloat(int4(b, o));
                String text = Float.toString(f);
                if (!Float.isNaN(f) && Float.floatToIntBits(Float.parseFloat(text)) != Float.floatToIntBits(f)) {
                    return -1; // DuckDB parses correctly rounded: exact when Java reads the text back as the value
                }
                out.ascii(text);
            }
            case FLOAT8 -> {
                double d = Double.longBitsToDouble(long8(b, o));
                String text = Double.toString(d);
                if (!Double.isNaN(d) && Double.doubleToLongBits(Double.parseDouble(text)) != Double.doubleToLongBits(d)) {
                    return -1;
                }
                out.ascii(text);
            }
            case NUMERIC -> {
                return numeric(out, scale, b, o) ? 0 : -1;
            }
            case TEXT -> {
                return text(out, b, o, n);
            }
            case JSONB -> {
                // jsonb's binary form: a version byte (1), then the document's text
                return n >= 1 && b[o] == 1 ? text(out, b, o + 1, n - 1) : -1;
            }
            case BYTES -> bytes(out, b, o, n);
            case UUID -> uuid(out, b, o);
            case DATE -> {
                return date(out, int4(b, o)) ? 0 : -1;
            }
            case TIME -> {
                return n == 8 && time(out, long8(b, o)) ? 0 : -1;
            }
            case INTERVAL -> throw new IllegalArgumentException("an interval is written from its decoded value");
            case TIMESTAMP, TIMESTAMPTZ -> {
                return timestamp(out, long8(b, o), kind == Kind.TIMESTAMPTZ) ? 0 : -1;
            }
        }
        return 0;
    }

    /** The appender's text of the decoded field (its value staged as VARCHAR), quoted. */
    private static int decodedText(Buffer out, CopyRows rows, int column, int offset, int length) throws IOException {
        byte[] text = DuckDbAppend.text(LogicalType.INTERVAL, rows.decodeField(column, offset, length))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return text(out, text, 0, text.length);
    }

    /**
     * A quoted text field, its quotes doubled; -1 when the bytes are not well-formed UTF-8 (DuckDB would refuse them,
     * the appender replaces them), 1 when it holds a line break, else 0.
     */
    private static int text(Buffer out, byte[] b, int o, int n) throws IOException {
        int end = o + n;
        boolean lineBreak = false;
        out.put('"');
        int from = o;
        int i = o;
        while (i < end) {
            byte c = b[i];
            if (c >= 0) {
                if (c == '"') {
                    out.put(b, from, i + 1 - from);
                    from = i; // the quote again: doubled
                } else if (c == '\n' || c == '\r') {
                    lineBreak = true;
                }
                i++;
            } else {
                int length = utf8Sequence(b, i, end);
                if (length < 0) {
                    return -1;
                }
                i += length;
            }
        }
        out.put(b, from, end - from);
        out.put('"');
        return lineBreak ? 1 : 0;
    }

    /**
     * The length of the multi-byte UTF-8 sequence at {@code i}, or -1 when it is not well-formed (a stray continuation
     * byte, a truncated sequence, an overlong form, a surrogate or a code point past U+10FFFF).
     */
    private static int utf8Sequence(byte[] b, int i, int end) {
        int c = b[i];
        int more;
        int min;
        if ((c & 0xE0) == 0xC0) {
            more = 1;
            min = 0x80;
            c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            more = 2;
            min = 0x800;
            c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            more = 3;
            min = 0x10000;
            c &= 0x07;
        } else {
            return -1;
        }
        if (end - i <= more) {
            return -1;
        }
        for (int k = 1; k <= more; k++) {
            int next = b[i + k];
            if ((next & 0xC0) != 0x80) {
                return -1;
            }
            c = (c << 6) | (next & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            return -1;
        }
        return more + 1;
    }

    /** PostgreSQL's text of a numeric from its binary form; false when DuckDB's column cannot hold it exactly. */
    private static boolean numeric(Buffer out, int scale, byte[] b, int o) throws IOException {
        int ndigits = u16(b, o);
        int weight = (short) u16(b, o + 2);
        int sign = u16(b, o + 4);
        int dscale = u16(b, o + 6);
        if (sign == NUMERIC_NAN || sign == NUMERIC_PINF || sign == NUMERIC_NINF) {
            if (scale >= 0) {
                return false; // a DECIMAL column holding such a value is made VARCHAR first (DuckDbBatchLoad)
            }
            out.ascii(sign == NUMERIC_NAN ? "NaN" : sign == NUMERIC_PINF ? "Infinity" : "-Infinity");
            return true;
        }
        if (scale >= 0 && dscale > scale) {
            return false; // the appender refuses to round it: leave the error to it
        }
        if (sign == NUMERIC_NEGATIVE && ndigits > 0) {
            out.put('-');
        }
        if (weight < 0) {
            out.put('0');
        } else {
            for (int d = 0; d <= weight; d++) {
                int digit = d < ndigits ? u16(b, o + 8 + 2 * d) : 0;
                if (d == 0) {
                    out.number(digit);
                } else {
                    out.padded(digit, 4);
                }
            }
        }
        if (dscale > 0) {
            out.put('.');
            for (int i = 0; i < dscale; i++) {
                int index = weight + 1 + i / 4;
                int digit = index >= 0 && index < ndigits ? u16(b, o + 8 + 2 * index) : 0;
                int divisor = switch (i % 4) {
                    case 0 -> 1000;
                    case 1 -> 100;
                    case 2 -> 10;
                    default -> 1;
                };
                out.put((char) ('0' + digit / divisor % 10));
            }
        }
        return true;
    }

    /**
     * A bytea as the text of a DuckDB BLOB, quoted (an empty one stays apart from NULL): letters and digits as they
     * are, every other byte as {@code \xHH}.
     */
    private static void bytes(Buffer out, byte[] b, int o, int n) throws IOException {
        out.put('"');
        for (int i = o; i < o + n; i++) {
            int c = b[i] & 0xFF;
            if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
                out.put((char) c);
            } else {
                out.put('\\');
                out.put('x');
                out.put(Character.forDigit(c >> 4, 16));
                out.put(Character.forDigit(c & 0xF, 16));
            }
        }
        out.put('"');
    }

    private static void uuid(Buffer out, byte[] b, int o) throws IOException {
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) {
                out.put('-');
            }
            out.put(Character.forDigit((b[o + i] >> 4) & 0xF, 16));
            out.put(Character.forDigit(b[o + i] & 0xF, 16));
        }
    }

    /** Days since 2000-01-01 as ISO text; false outside the years 1 to 9999. */
    private static boolean date(Buffer out, int days) throws IOException {
        if (days == Integer.MAX_VALUE || days == Integer.MIN_VALUE) {
            out.put(days > 0 ? INFINITY : NEGATIVE_INFINITY);
            return true;
        }
        return civil(out, (long) days + PG_EPOCH_DAY);
    }

    /**
     * Microseconds since midnight as HH:MM:SS.ffffff; PostgreSQL's 24:00:00 as 23:59:59.999999, as the appender writes
     * the LocalTime.MAX it is read as. False for a value outside a day.
     */
    private static boolean time(Buffer out, long micros) throws IOException {
        if (micros < 0 || micros > MICROS_PER_DAY) {
            return false;
        }
        clock(out, Math.min(micros, MICROS_PER_DAY - 1));
        return true;
    }

    /** Microseconds of a day (below 24 hours) as HH:MM:SS.ffffff. */
    private static void clock(Buffer out, long inDay) throws IOException {
        out.padded((int) (inDay / 3_600_000_000L), 2);
        out.put(':');
        out.padded((int) (inDay / 60_000_000L % 60), 2);
        out.put(':');
        out.padded((int) (inDay / 1_000_000L % 60), 2);
        out.put('.');
        out.padded((int) (inDay % 1_000_000L), 6);
    }

    /** Microseconds since 2000-01-01 as ISO text (with the offset +00 for a timestamptz); false outside the years 1 to 9999. */
    private static boolean timestamp(Buffer out, long micros, boolean utc) throws IOException {
        if (micros == Long.MAX_VALUE || micros == Long.MIN_VALUE) {
            out.put(micros > 0 ? INFINITY : NEGATIVE_INFINITY);
            return true;
        }
        if (Math.abs(micros) > MAX_MICROS) {
            return false; // far outside the years written here; keeps the sum below from overflowing
        }
        long epoch = micros + PG_EPOCH_MICROS;
        if (!civil(out, Math.floorDiv(epoch, MICROS_PER_DAY))) {
            return false;
        }
        out.put(' ');
        clock(out, Math.floorMod(epoch, MICROS_PER_DAY));
        if (utc) {
            out.ascii("+00");
        }
        return true;
    }

    /** The date of a day since 1970-01-01 as YYYY-MM-DD (Howard Hinnant's civil_from_days); false outside the years 1 to 9999. */
    private static boolean civil(Buffer out, long epochDay) throws IOException {
        long z = epochDay + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long day = doy - (153 * mp + 2) / 5 + 1;
        long month = mp < 10 ? mp + 3 : mp - 9;
        long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        if (year < 1 || year > 9999) {
            return false;
        }
        out.padded((int) year, 4);
        out.put('-');
        out.padded((int) month, 2);
        out.put('-');
        out.padded((int) day, 2);
        return true;
    }

    /**
     * The {@code read_csv} call that reads a written page: its columns named {@code c0, c1, ...} (the row index first
     * when numbered), typed {@code types}; read in parallel unless a text value holds a line break.
     */
    static String readCsv(File file, List<String> types) {
        List<String> columns = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            columns.add("'c" + i + "': " + Sql.literal(types.get(i)));
        }
        return "read_csv(" + Sql.literal(file.path().toString()) + ", header = false, auto_detect = false, delim = ',',"
                + " quote = '\"', escape = '\"', allow_quoted_nulls = false, strict_mode = true, parallel = "
                + !file.lineBreaks() + ", columns = {" + String.join(", ", columns) + "})";
    }

    private static int u16(byte[] b, int o) {
        return ((b[o] & 0xFF) << 8) | (b[o + 1] & 0xFF);
    }

    private static int int4(byte[] b, int o) {
        return ((b[o] & 0xFF) << 24) | ((b[o + 1] & 0xFF) << 16) | ((b[o + 2] & 0xFF) << 8) | (b[o + 3] & 0xFF);
    }

    private static long long8(byte[] b, int o) {
        return ((long) int4(b, o) << 32) | (int4(b, o + 4) & 0xFFFFFFFFL);
    }

    /** Bytes on their way to the file. */
    private static final class Buffer {
        private final OutputStream file;
        private final byte[] buffer = new byte[1 << 16];
        private final byte[] digits = new byte[20];
        private int size;
        private long flushed;

        Buffer(OutputStream file) {
            this.file = file;
        }

        long written() {
            return flushed + size;
        }

        void put(char c) throws IOException {
            if (size == buffer.length) {
                flush();
            }
            buffer[size++] = (byte) c;
        }

        void put(byte[] bytes) throws IOException {
            put(bytes, 0, bytes.length);
        }

        void put(byte[] bytes, int offset, int length) throws IOException {
            if (length > buffer.length - size) {
                flush();
                if (length > buffer.length) {
                    file.write(bytes, offset, length);
                    flushed += length;
                    return;
                }
            }
            System.arraycopy(bytes, offset, buffer, size, length);
            size += length;
        }

        void ascii(String s) throws IOException {
            for (int i = 0; i < s.length(); i++) {
                put(s.charAt(i));
            }
        }

        void number(long value) throws IOException {
            if (value == Long.MIN_VALUE) {
                ascii(Long.toString(value));
                return;
            }
            if (value < 0) {
                put('-');
                value = -value;
            }
            int n = 0;
            do {
                digits[n++] = (byte) ('0' + value % 10);
                value /= 10;
            } while (value != 0);
            while (n > 0) {
                put((char) digits[--n]);
            }
        }

        /** A non-negative number with leading zeros to {@code width} digits. */
        void padded(int value, int width) throws IOException {
            for (int divisor = POWERS_OF_TEN[width - 1]; divisor >= 1; divisor /= 10) {
                put((char) ('0' + value / divisor % 10));
            }
        }

        void flush() throws IOException {
            file.write(buffer, 0, size);
            flushed += size;
            size = 0;
        }
    }
}
