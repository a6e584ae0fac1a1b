package io.pgingest.destination.postgres;

import io.pgingest.event.LogicalType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Encodes rows in PostgreSQL's binary COPY format for destination columns of common types.
 * The server then parses no text: timestamps, numbers and uuids cost a copy instead of a
 * parse, which makes bulk loads markedly faster. Each value is encoded for the type the
 * destination column has now (an Integer into a bigint column is sent as 8 bytes), because
 * binary input does not coerce. {@link #encoderFor} returns null for a type this class does
 * not handle; the writer then uses the text format for the whole batch. Not thread-safe.
 */
final class CopyBinary {

    /** One column's encoder: writes length and bytes of a non-null value. */
    interface Encoder {
        void write(Buffer out, Object value);
    }

    /** A growable big-endian byte buffer; cheaper than a DataOutputStream over a ByteArrayOutputStream. */
    static final class Buffer {
        private byte[] bytes = new byte[1 << 17];
        private int size;

        private void ensure(int extra) {
            if (size + extra > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + extra));
            }
        }

        void writeByte(int v) {
            ensure(1);
            bytes[size++] = (byte) v;
        }

        void writeShort(int v) {
            ensure(2);
            bytes[size++] = (byte) (v >>> 8);
            bytes[size++] = (byte) v;
        }

        void writeInt(int v) {
            ensure(4);
            bytes[size++] = (byte) (v >>> 24);
            bytes[size++] = (byte) (v >>> 16);
            bytes[size++] = (byte) (v >>> 8);
            bytes[size++] = (byte) v;
        }

        void writeLong(long v) {
            writeInt((int) (v >>> 32));
            writeInt((int) v);
        }

        void writeFloat(float v) {
            writeInt(Float.floatToRawIntBits(v));
        }

        void writeDouble(double v) {
            writeLong(Double.doubleToRawLongBits(v));
        }

        void write(byte[] b) {
            write(b, 0, b.length);
        }

        void write(byte[] b, int offset, int length) {
            ensure(length);
            System.arraycopy(b, offset, bytes, size, length);
            size += length;
        }
    }

    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final LocalDate PG_EPOCH_DATE = LocalDate.of(2000, 1, 1);
    private static final LocalDateTime PG_EPOCH = LocalDateTime.of(2000, 1, 1, 0, 0);
    private static final OffsetDateTime PG_EPOCH_UTC = PG_EPOCH.atOffset(ZoneOffset.UTC);

    private final Buffer out = new Buffer();
    private final Encoder[] encoders;
    private final List<String> columns;

    /** {@code columns} names the encoders' columns, for error messages. */
    CopyBinary(List<Encoder> encoders, List<String> columns) {
        this.encoders = encoders.toArray(new Encoder[0]);
        this.columns = List.copyOf(columns);
    }

    /**
     * Encoders for columns of the given logical types going into destination columns of the
     * given types ({@code format_type} text), or null when any pair is not one this class
     * encodes exactly (the writer then uses the text format for the whole batch).
     */
    static List<Encoder> encodersFor(List<LogicalType> types, List<String> destinationTypes) {
        List<Encoder> list = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            Encoder e = encoderFor(types.get(i), destinationTypes.get(i));
            if (e == null) {
                return null;
            }
            list.add(e);
        }
        return list;
    }

    static Encoder encoderFor(LogicalType type, String destinationType) {
        if (type == null || destinationType == null) {
            return null;
        }
        String t = destinationType.toLowerCase(Locale.ROOT);
        boolean text = t.startsWith("character varying") || t.startsWith("character(") || t.equals("character") || t.equals("text");
        return switch (type) {
            case BOOLEAN -> t.equals("boolean") ? CopyBinary::bool : null;
            case INT16, INT32, INT64 -> integer(t);
            case FLOAT32, FLOAT64 -> t.equals("real") ? CopyBinary::float4 : t.equals("double precision") ? CopyBinary::float8 : null;
            case DECIMAL -> t.startsWith("numeric") ? CopyBinary::numeric : null;
            case TEXT -> text ? CopyBinary::text : null;
            case JSON -> text || t.equals("json") ? CopyBinary::text : t.equals("jsonb") ? CopyBinary::jsonb : null;
            case BYTES -> t.equals("bytea") ? CopyBinary::bytea : null;
            case DATE -> t.equals("date") ? CopyBinary::date : null;
            case TIME -> t.startsWith("time") && t.endsWith("without time zone") ? CopyBinary::time : null;
            case TIMESTAMP -> t.startsWith("timestamp") && t.endsWith("without time zone") ? CopyBinary::timestamp : null;
            case TIMESTAMPTZ -> t.startsWith("timestamp") && t.endsWith("with time zone") ? CopyBinary::timestamptz : null;
            case UUID -> t.equals("uuid") ? CopyBinary::uuid : null;
            case TIMETZ, INTERVAL -> null;
        };
    }

    private static Encoder integer(String t) {
        return switch (t) {
            case "smallint" -> (out, v) -> {
                out.writeInt(2);
                out.writeShort(((Number) v).shortValue());
            };
            case "integer" -> (out, v) -> {
                out.writeInt(4);
                out.writeInt(((Number) v).intValue());
            };
            case "bigint" -> (out, v) -> {
                out.writeInt(8);
                out.writeLong(((Number) v).longValue());
            };
            default -> t.startsWith("numeric") ? (out, v) -> numeric(out, BigDecimal.valueOf(((Number) v).longValue())) : null;
        };
    }

    private static void bool(Buffer out, Object v) {
        out.writeInt(1);
        out.writeByte((Boolean) v ? 1 : 0);
    }

    private static void float4(Buffer out, Object v) {
        out.writeInt(4);
        out.writeFloat(((Number) v).floatValue());
    }

    private static void float8(Buffer out, Object v) {
        out.writeInt(8);
        out.writeDouble(((Number) v).doubleValue());
    }

    private static void bytea(Buffer out, Object v) {
        byte[] b = (byte[]) v;
        out.writeInt(b.length);
        out.write(b);
    }

    private static void uuid(Buffer out, Object v) {
        UUID u = (UUID) v;
        out.writeInt(16);
        out.writeLong(u.getMostSignificantBits());
        out.writeLong(u.getLeastSignificantBits());
    }

    private static void time(Buffer out, Object v) {
        out.writeInt(8);
        out.writeLong(((LocalTime) v).toNanoOfDay() / 1000);
    }

    private static void jsonb(Buffer out, Object v) {
        byte[] b = v.toString().getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length + 1);
        out.writeByte(1);
        out.write(b);
    }

    /** Starts a COPY stream: the header. */
    byte[] header() {
        return HEADER.clone();
    }

    /** The trailer that ends a COPY stream. */
    static byte[] trailer() {
        return new byte[] {(byte) 0xFF, (byte) 0xFF};
    }

    /**
     * Encodes constant values once (e.g. a batch's metadata columns), to be passed as the
     * {@code tail} of every {@link #row}.
     */
    static byte[] encodeConstants(List<Encoder> encoders, Object[] values) {
        Buffer b = new Buffer();
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                b.writeInt(-1);
            } else {
                encoders.get(i).write(b, values[i]);
            }
        }
        return java.util.Arrays.copyOf(b.bytes, b.size);
    }

    /** Appends one row: {@code values[i]} through encoder i, then {@code tailFields} pre-encoded fields. */
    void row(Object[] values, int tailFields, byte[] tail) {
        out.writeShort(encoders.length + tailFields);
        for (int i = 0; i < encoders.length; i++) {
            Object v = values[i];
            if (v == null) {
                out.writeInt(-1);
            } else {
                try {
                    encoders[i].write(out, v);
                } catch (NulCharacter e) {
                    throw new IllegalArgumentException("value of column " + columns.get(i)
                            + " contains a NUL character (0x00), which PostgreSQL text cannot store; "
                            + "remove it at the source or map the column to bytea");
                }
            }
        }
        out.write(tail);
    }

    /**
     * Appends one row whose first {@code fields} fields are already encoded ({@code bytes} from {@code from} to
     * {@code to}: length-prefixed fields, e.g. a source's binary COPY tuple), then {@code tailFields} pre-encoded
     * fields.
     */
    void encodedRow(byte[] bytes, int from, int to, int fields, int tailFields, byte[] tail) {
        out.writeShort(fields + tailFields);
        out.write(bytes, from, to - from);
        out.write(tail);
    }

    /** Whether a numeric in binary form is NaN or an infinity (its sign word says so). */
    static boolean isSpecialNumeric(byte[] bytes, int offset, int length) {
        if (length < 8) {
            return false;
        }
        short sign = (short) (((bytes[offset + 4] & 0xFF) << 8) | (bytes[offset + 5] & 0xFF));
        return sign == NUMERIC_NAN || sign == NUMERIC_PINF || sign == NUMERIC_NINF;
    }

    /**
     * Whether a field holding the binary form of {@code binaryType} (see {@code CopyRows#binaryTypes}) is
     * exactly what this class would encode from its decoded value for a destination column of
     * {@code destinationType}: then it may be copied on as it is.
     */
    static boolean takesAsIs(String binaryType, String destinationType) {
        String t = destinationType.toLowerCase(Locale.ROOT);
        boolean text = t.startsWith("character varying") || t.startsWith("character(") || t.equals("character") || t.equals("text");
        return switch (binaryType) {
            case "text" -> text;
            case "json" -> text || t.equals("json");
            // the typmod applies on input (rounding, range), as it does for the encoded value
            case "numeric" -> t.startsWith("numeric");
            // the typmod rounds on input, as it does for the encoded value
            case "timestamp without time zone", "timestamp with time zone" -> t.replaceFirst("\\(\\d+\\)", "").equals(binaryType);
            default -> t.equals(binaryType);
        };
    }

    int size() {
        return out.size;
    }

    /** Hands the bytes appended since the last call to {@code copy}, then forgets them. */
    void drainTo(org.postgresql.copy.CopyIn copy) throws java.sql.SQLException {
        copy.writeToCopy(out.bytes, 0, out.size);
        out.size = 0;
    }

    /** Thrown by the text encoder; {@link #row} turns it into a message naming the column. */
    private static final class NulCharacter extends RuntimeException {
        NulCharacter() {
            super(null, null, false, false);
        }
    }

    private static void text(Buffer out, Object v) {
        String s = v instanceof BigDecimal d ? d.toPlainString() : v.toString();
        if (s.indexOf('\0') >= 0) {
            throw new NulCharacter();
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static void date(Buffer out, Object v) {
        LocalDate d = (LocalDate) v;
        out.writeInt(4);
        if (d.equals(LocalDate.MAX)) {
            out.writeInt(Integer.MAX_VALUE);
        } else if (d.equals(LocalDate.MIN)) {
            out.writeInt(Integer.MIN_VALUE);
        } else {
            out.writeInt((int) ChronoUnit.DAYS.between(PG_EPOCH_DATE, d));
        }
    }

    private static void timestamp(Buffer out, Object v) {
        LocalDateTime t = (LocalDateTime) v;
        out.writeInt(8);
        if (t.equals(LocalDateTime.MAX)) {
            out.writeLong(Long.MAX_VALUE);
        } else if (t.equals(LocalDateTime.MIN)) {
            out.writeLong(Long.MIN_VALUE);
        } else {
            out.writeLong(ChronoUnit.MICROS.between(PG_EPOCH, t));
        }
    }

    private static void timestamptz(Buffer out, Object v) {
        OffsetDateTime t = (OffsetDateTime) v;
        out.writeInt(8);
        if (t.equals(OffsetDateTime.MAX)) {
            out.writeLong(Long.MAX_VALUE);
        } else if (t.equals(OffsetDateTime.MIN)) {
            out.writeLong(Long.MIN_VALUE);
        } else {
            out.writeLong(ChronoUnit.MICROS.between(PG_EPOCH_UTC, t));
        }
    }

    private static final short NUMERIC_POS = 0x0000;
    private static final short NUMERIC_NEG = 0x4000;
    private static final short NUMERIC_NAN = (short) 0xC000;
    private static final short NUMERIC_PINF = (short) 0xD000;
    private static final short NUMERIC_NINF = (short) 0xF000;
    private static final BigInteger TEN_THOUSAND = BigInteger.valueOf(10_000);

    /**
     * numeric: ndigits, weight, sign, dscale, then base-10000 digits. The unscaled value is
     * padded on the right to a multiple of 4 decimal places so the groups align on the point.
     */
    private static void numeric(Buffer out, Object v) {
        if (v instanceof String s) {
            short special = switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "nan" -> NUMERIC_NAN;
                case "infinity", "+infinity" -> NUMERIC_PINF;
                case "-infinity" -> NUMERIC_NINF;
                default -> 0;
            };
            if (special == 0) {
                numeric(out, new BigDecimal(s.trim()));
                return;
            }
            out.writeInt(8);
            out.writeShort(0);
            out.writeShort(0);
            out.writeShort(special);
            out.writeShort(0);
            return;
        }
        BigDecimal d = v instanceof BigDecimal b ? b : new BigDecimal(v.toString());
        int dscale = Math.max(d.scale(), 0);
        BigDecimal abs = d.abs();
        int groupScale = (dscale + 3) / 4 * 4;
        BigInteger unscaled = abs.setScale(groupScale).unscaledValue();
        List<Short> groups = new ArrayList<>();
        while (unscaled.signum() > 0) {
            BigInteger[] qr = unscaled.divideAndRemainder(TEN_THOUSAND);
            groups.add(0, qr[1].shortValue());
            unscaled = qr[0];
        }
        int fractionGroups = groupScale / 4;
        int weight = groups.size() - fractionGroups - 1;
        // Trailing zero groups carry no information (dscale keeps the display scale).
        int end = groups.size();
        while (end > 0 && groups.get(end - 1) == 0) {
            end--;
        }
        int start = 0;
        while (start < end && groups.get(start) == 0) {
            start++;
            weight--;
        }
        int ndigits = end - start;
        if (ndigits == 0) {
            weight = 0;
        }
        out.writeInt(8 + 2 * ndigits);
        out.writeShort(ndigits);
        out.writeShort(weight);
        out.writeShort(d.signum() < 0 ? NUMERIC_NEG : NUMERIC_POS);
        out.writeShort(dscale);
        for (int i = start; i < end; i++) {
            out.writeShort(groups.get(i));
        }
    }
}
