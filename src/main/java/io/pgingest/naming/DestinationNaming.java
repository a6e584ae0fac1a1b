package io.pgingest.naming;

import io.pgingest.event.SourceTable;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns source names into destination identifiers that need no quoting in PostgreSQL or DuckDB,
 * by the rules of {@code docs/naming.md}: the same input always gives the same name. Stateless.
 */
public final class DestinationNaming {

    /** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes; our names are ASCII, so also characters. */
    static final int MAX_LENGTH = 63;
    private static final int KEPT_ON_TRUNCATION = 54;
    private static final String RESERVED_PREFIX = "_pgingest_";
    private static final String RESERVED_ESCAPE = "src";

    private DestinationNaming() {
    }

    /**
     * The destination table of a source table. Merge Tables on: tables of the same schema and
     * name from several databases share one table; off: the database name prefixes it. The
     * schema part is left out for {@code public}.
     */
    public static String tableName(SourceTable t, boolean mergeTables) {
        String name = "public".equals(t.schema()) ? t.table() : t.schema() + "_" + t.table();
        return identifier(mergeTables ? name : t.database() + "_" + name);
    }

    /**
     * The destination tables that more than one of {@code tables} would write (e.g. {@code public."A b"} and
     * {@code public.a_b}), each with those source tables in their order: their rows would mix in one table, rows of the
     * same key overwriting each other.
     */
    public static Map<String, List<SourceTable>> sharedNames(List<SourceTable> tables, boolean mergeTables) {
        Map<String, List<SourceTable>> byName = new LinkedHashMap<>();
        for (SourceTable t : tables) {
            byName.computeIfAbsent(tableName(t, mergeTables), n -> new ArrayList<>()).add(t);
        }
        byName.values().removeIf(l -> l.size() < 2);
        return byName;
    }

    /** What to tell of each destination table {@link #sharedNames} finds: the sources, and how to keep them apart. */
    public static List<String> sharedNameWarnings(List<SourceTable> tables, boolean mergeTables) {
        List<String> out = new ArrayList<>();
        sharedNames(tables, mergeTables).forEach((name, sources) -> out.add(sources.stream().map(SourceTable::display)
                .collect(java.util.stream.Collectors.joining(", ")) + " all write destination table " + name
                + ": their rows mix there, a row of one overwriting the row of the same key of another; rename one of"
                + " them at the source, or leave all but one out of the pipeline's objects"));
        return out;
    }

    /** One sanitized identifier: lower case, only {@code [a-z0-9_]}, not starting with a digit, at most 63 bytes. */
    public static String identifier(String raw) {
        return fit(sanitize(raw), raw);
    }

    /**
     * Destination names for the columns of one table, in the same order: each sanitized, names
     * reserved for pg-ingest's metadata escaped with {@code src}, and duplicates given
     * {@code _2}, {@code _3}, ... in column order.
     */
    public static List<String> columnNames(List<String> sourceNames) {
        List<String> out = new ArrayList<>(sourceNames.size());
        Set<String> taken = new HashSet<>();
        for (String raw : sourceNames) {
            String base = sanitize(raw);
            if (base.startsWith(RESERVED_PREFIX)) {
                base = RESERVED_ESCAPE + base;
            }
            base = fit(base, raw);
            String name = base;
            for (int n = 2; !taken.add(name); n++) {
                String suffix = "_" + n;
                name = base.substring(0, Math.min(base.length(), MAX_LENGTH - suffix.length())) + suffix;
            }
            out.add(name);
        }
        return out;
    }

    /** Lower case, runs of other characters to one '_', converted edges trimmed, digit-led names prefixed. */
    static String sanitize(String raw) {
        String lower = raw.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(lower.length());
        boolean pendingReplacement = false;
        for (int i = 0; i < lower.length(); i++) {
            char ch = lower.charAt(i);
            if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') {
                // A replaced run at the very start is dropped: it only ever came from conversion.
                if (pendingReplacement && out.length() > 0) {
                    out.append('_');
                }
                pendingReplacement = false;
                out.append(ch);
            } else {
                pendingReplacement = true;
            }
        }
        // A pending run at the end is dropped the same way; original underscores are kept.
        if (out.length() == 0) {
            return "_";
        }
        if (Character.isDigit(out.charAt(0))) {
            out.insert(0, '_');
        }
        return out.toString();
    }

    private static String fit(String name, String raw) {
        if (name.length() <= MAX_LENGTH) {
            return name;
        }
        return name.substring(0, KEPT_ON_TRUNCATION) + "_" + hash(raw);
    }

    /**
     * First 8 hex characters of the SHA-256 of the original name: different long names stay different. Also used
     * for replication slot names cut to PostgreSQL's identifier length.
     */
    public static String hash(String raw) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
