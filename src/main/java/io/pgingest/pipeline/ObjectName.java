package io.pgingest.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A table name as a user writes it in a pipeline: {@code schema.table}, {@code table}
 * (schema {@code public}), {@code *} (every table of the selected schemas) or
 * {@code schema.*}. Identifiers follow PostgreSQL's rules: unquoted names fold to lower
 * case, double-quoted names keep case and may contain dots, spaces and {@code ""}.
 *
 * @param schema schema name, or null for {@code *}
 * @param table  table name, or null for a wildcard
 */
public record ObjectName(String schema, String table) {

    public boolean isWildcard() {
        return table == null;
    }

    /** Whether this (wildcard) name covers a table of the given schema. */
    public boolean covers(String tableSchema) {
        return isWildcard() && (schema == null || schema.equals(tableSchema));
    }

    public String display() {
        return (schema == null ? "" : quoteIfNeeded(schema) + ".") + (table == null ? "*" : quoteIfNeeded(table));
    }

    /** Parses a name; throws {@link IllegalArgumentException} saying what is wrong. */
    public static ObjectName parse(String text) {
        String s = text.trim();
        if (s.equals("*")) {
            return new ObjectName(null, null);
        }
        List<String> parts = splitOutsideQuotes(s, '.');
        if (parts.size() > 2 || parts.stream().anyMatch(p -> p.isBlank())) {
            throw new IllegalArgumentException("'" + s + "' is not a table name: write schema.table, \"Quoted Name\", or *");
        }
        String schema = parts.size() == 2 ? unquote(parts.get(0).trim()) : "public";
        String last = parts.get(parts.size() - 1).trim();
        return new ObjectName(schema, last.equals("*") ? null : unquote(last));
    }

    /** Removes double quotes from a quoted identifier, or folds an unquoted one to lower case. */
    public static String unquote(String identifier) {
        String s = identifier.trim();
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            return s.substring(1, s.length() - 1).replace("\"\"", "\"");
        }
        if (s.contains("\"")) {
            throw new IllegalArgumentException("unbalanced double quote in '" + s + "'");
        }
        return s.toLowerCase(Locale.ROOT);
    }

    /** The identifier as a user would write it: bare when PostgreSQL would not fold it, else quoted. */
    public static String quoteIfNeeded(String identifier) {
        return identifier.matches("[a-z_][a-z0-9_$]*") ? identifier : '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** Splits on a separator that is not inside double quotes. */
    public static List<String> splitOutsideQuotes(String s, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == separator && !quoted) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unbalanced double quote in '" + s + "'");
        }
        parts.add(current.toString());
        return parts;
    }
}
