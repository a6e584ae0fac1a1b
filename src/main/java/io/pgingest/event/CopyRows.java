package io.pgingest.event;

import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.RandomAccess;
import java.util.Set;

/**
 * The rows of a {@link RowBatch} as a source read them: one page of PostgreSQL's binary COPY format
 * ({@code COPY (SELECT ...) TO STDOUT (FORMAT binary)}), each tuple the batch's columns followed by
 * {@code extraFields} fields the source keeps for itself (the text of its cursor columns). A PostgreSQL
 * destination whose columns have the types of {@link #binaryTypes()} copies the tuples on as they are
 * (from {@link #bytes()}, {@link #columnsStart} to {@link #columnsEnd}); for everything else this is an
 * ordinary list of rows whose values are decoded the first time a row is asked for, as the same Java values
 * a result set gives (canonical, see {@link LogicalType}). Immutable; decoding is thread-safe.
 */
public final class CopyRows extends AbstractList<Object[]> implements RandomAccess {

    /** Reads one non-null field of {@code length} bytes at {@code offset}. */
    @FunctionalInterface
    public interface FieldReader {
        Object read(byte[] bytes, int offset, int length);
    }

    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};

    private final byte[] bytes;
    /** Per tuple: the offset of its first field (after the field count), and where its columns end. */
    private final int[] starts;
    private final int[] columnEnds;
    private final int size;
    private final FieldReader[] readers;
    private final List<String> binaryTypes;
    private final int extraFields;
    private volatile Object[][] decoded;

    private CopyRows(byte[] bytes, int[] starts, int[] columnEnds, int size, FieldReader[] readers, List<String> binaryTypes,
                     int extraFields) {
        this.bytes = bytes;
        this.starts = starts;
        this.columnEnds = columnEnds;
        this.size = size;
        this.readers = readers;
        this.binaryTypes = binaryTypes;
        this.extraFields = extraFields;
    }

    /**
     * Parses {@code length} bytes of binary COPY output (header, tuples, trailer) whose tuples hold one
     * field per reader and then {@code extraFields} more.
     *
     * @param binaryTypes per column, the type whose binary form the field holds ({@code format_type} text)
     * @throws IllegalArgumentException when the bytes are not such output
     */
    public static CopyRows parse(byte[] bytes, int length, List<FieldReader> readers, List<String> binaryTypes,
                                 int extraFields) {
        if (length < SIGNATURE.length + 8 || !java.util.Arrays.equals(bytes, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length)) {
            throw new IllegalArgumentException("not PostgreSQL binary COPY data (no signature)");
        }
        int p = SIGNATURE.length + 4; // flags
        p += 4 + int4(bytes, p);      // header extension
        int fields = readers.size() + extraFields;
        int capacity = 1024;
        int[] starts = new int[capacity];
        int[] ends = new int[capacity];
        int n = 0;
        while (true) {
            check(p + 2 <= length, "tuple header past the end");
            int count = (short) (((bytes[p] & 0xFF) << 8) | (bytes[p + 1] & 0xFF));
            p += 2;
            if (count == -1) {
                break;
            }
            check(count == fields, "a tuple of " + count + " fields, " + fields + " expected");
            if (n == capacity) {
                capacity *= 2;
                starts = java.util.Arrays.copyOf(starts, capacity);
                ends = java.util.Arrays.copyOf(ends, capacity);
            }
            starts[n] = p;
            for (int f = 0; f < fields; f++) {
                if (f == readers.size()) {
                    ends[n] = p;
                }
                check(p + 4 <= length, "field length past the end");
                int len = int4(bytes, p);
                p += 4 + Math.max(len, 0);
                check(p <= length, "field past the end");
            }
            if (extraFields == 0) {
                ends[n] = p;
            }
            n++;
        }
        return new CopyRows(bytes, starts, ends, n, readers.toArray(new FieldReader[0]), List.copyOf(binaryTypes),
                extraFields);
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalArgumentException("malformed binary COPY data: " + problem);
        }
    }

    private static int int4(byte[] b, int o) {
        return ((b[o] & 0xFF) << 24) | ((b[o + 1] & 0xFF) << 16) | ((b[o + 2] & 0xFF) << 8) | (b[o + 3] & 0xFF);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Object[] get(int index) {
        java.util.Objects.checkIndex(index, size);
        Object[][] rows = decoded;
        if (rows == null) {
            rows = decodeAll();
        }
        return rows[index];
    }

    /** Decodes every row now (a source may do it on its reading thread when its consumer reads the values). */
    public void decode() {
        if (decoded == null) {
            decodeAll();
        }
    }

    /** Whether the rows were decoded (asked for, or {@link #decode()}d). */
    public boolean isDecoded() {
        return decoded != null;
    }

    private synchronized Object[][] decodeAll() {
        if (decoded == null) {
            Object[][] rows = new Object[size][];
            for (int i = 0; i < size; i++) {
                rows[i] = decode(i);
            }
            decoded = rows;
        }
        return decoded;
    }

    private Object[] decode(int index) {
        Object[] row = new Object[readers.length];
        int p = starts[index];
        for (int c = 0; c < readers.length; c++) {
            int len = int4(bytes, p);
            p += 4;
            if (len >= 0) {
                row[c] = readers[c].read(bytes, p, len);
                p += len;
            }
        }
        return row;
    }

    /** Tests one non-null field in place. */
    @FunctionalInterface
    public interface FieldTest {
        boolean test(byte[] bytes, int offset, int length);
    }

    /** Whether a non-null field of {@code column} passes {@code test}, without decoding the rows. */
    public boolean anyField(int column, FieldTest test) {
        java.util.Objects.checkIndex(column, readers.length);
        for (int i = 0; i < size; i++) {
            int p = starts[i];
            for (int c = 0; c < column; c++) {
                p += 4 + Math.max(int4(bytes, p), 0);
            }
            int len = int4(bytes, p);
            if (len >= 0 && test.test(bytes, p + 4, len)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether no two tuples hold the same bytes in all of {@code columns} (NULL equal to NULL), without decoding the
     * rows: for types whose binary form is canonical, whether their values differ.
     */
    public boolean distinct(int[] columns) {
        if (columns.length == 1) {
            long[] numbers = fixedWidth(columns[0]);
            if (numbers != null) {
                java.util.Arrays.sort(numbers);
                for (int i = 1; i < numbers.length; i++) {
                    if (numbers[i] == numbers[i - 1]) {
                        return false;
                    }
                }
                return true;
            }
        }
        for (int column : columns) {
            java.util.Objects.checkIndex(column, readers.length);
        }
        Set<String> seen = new HashSet<>(size * 2);
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < size; i++) {
            key.setLength(0);
            for (int column : columns) {
                int p = starts[i];
                for (int c = 0; c < column; c++) {
                    p += 4 + Math.max(int4(bytes, p), 0);
                }
                int len = int4(bytes, p);
                key.append((char) (len < 0 ? 0xFFFF : len)).append((char) (len >>> 16));
                for (int k = 0; k < len; k++) {
                    key.append((char) (bytes[p + 4 + k] & 0xFF));
                }
            }
            if (!seen.add(key.toString())) {
                return false;
            }
        }
        return true;
    }

    /** The fields of {@code column} as numbers when none is NULL and all have one length of at most 8 bytes; else null. */
    private long[] fixedWidth(int column) {
        java.util.Objects.checkIndex(column, readers.length);
        long[] numbers = new long[size];
        int width = -1;
        for (int i = 0; i < size; i++) {
            int p = starts[i];
            for (int c = 0; c < column; c++) {
                p += 4 + Math.max(int4(bytes, p), 0);
            }
            int len = int4(bytes, p);
            if (len < 0 || len > 8 || (width >= 0 && len != width)) {
                return null;
            }
            width = len;
            long n = 0;
            for (int k = 0; k < len; k++) {
                n = (n << 8) | (bytes[p + 4 + k] & 0xFF);
            }
            numbers[i] = n;
        }
        return numbers;
    }

    /** Decodes one non-null field of {@code column} found at {@code offset} ({@link #bytes()}), as the rows' values are. */
    public Object decodeField(int column, int offset, int length) {
        return readers[column].read(bytes, offset, length);
    }

    /** Per column, the type whose binary form its fields hold ({@code format_type} text, e.g. {@code integer}). */
    public List<String> binaryTypes() {
        return binaryTypes;
    }

    /** The text of the extra fields (the source's own) of tuple {@code index}; null fields as null. */
    public List<String> extraTexts(int index) {
        java.util.Objects.checkIndex(index, size);
        List<String> texts = new ArrayList<>(extraFields);
        int p = columnEnds[index];
        for (int f = 0; f < extraFields; f++) {
            int len = int4(bytes, p);
            p += 4;
            texts.add(len < 0 ? null : new String(bytes, p, len, StandardCharsets.UTF_8));
            p += Math.max(len, 0);
        }
        return texts;
    }

    /** Where the bytes of tuple {@code index}'s columns (length-prefixed fields, without the field count) start. */
    public int columnsStart(int index) {
        return starts[index];
    }

    /** Where the bytes of tuple {@code index}'s columns end (its extra fields follow). */
    public int columnsEnd(int index) {
        return columnEnds[index];
    }

    /** The page's bytes, for {@link #columnsStart} and {@link #columnsEnd}; not to be changed. */
    public byte[] bytes() {
        return bytes;
    }
}
