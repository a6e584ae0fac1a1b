package io.pgingest.mapping;

import java.time.LocalDateTime;
import java.util.Set;

/**
 * Writes PostgreSQL's text of an array value (what {@code array_out} prints: {@code {1,2}}, nested braces for more
 * dimensions, double-quoted elements with backslash escapes, {@code NULL}, an optional {@code [0:1]=} bounds prefix)
 * as {@code array_to_json(value)::text} writes the same value, which is how a table source reads arrays (see
 * {@link TypeMapping#selectExpression}). Used where only the array's text is at hand: the values logical replication
 * sends. The element type decides each element's JSON form, as PostgreSQL's {@code json_categorize_type} does: booleans
 * and numbers bare (non-finite numbers as strings), json and jsonb embedded, timestamp and timestamptz in XSD form
 * ({@code T} between date and time; timestamptz at UTC, {@code +00:00}: a table source's session is at UTC), every
 * other type as the string of its text. Stateless.
 */
public final class ArrayJson {

    /** How {@code array_to_json} writes the elements of one type. */
    public enum Element { BOOLEAN, NUMBER, TIMESTAMP, TIMESTAMPTZ, JSON, TEXT }

    /**
     * PostgreSQL 15's built-in base types whose arrays are written with their text as strings (pg_type.typname); the
     * types of the other {@link Element}s are named in {@link #element}.
     */
    private static final Set<String> BUILT_IN_TEXT = Set.of("bytea", "char", "name", "text", "oid", "tid", "xid",
            "cid", "int2vector", "oidvector", "xml", "point", "lseg", "path", "box", "polygon", "line", "circle",
            "money", "macaddr", "inet", "cidr", "macaddr8", "aclitem", "bpchar", "varchar", "date", "time", "interval",
            "timetz", "bit", "varbit", "refcursor", "regproc", "regprocedure", "regoper", "regoperator", "regclass",
            "regcollation", "regtype", "regrole", "regnamespace", "regconfig", "regdictionary", "uuid", "pg_lsn",
            "tsvector", "gtsvector", "tsquery", "jsonpath", "txid_snapshot", "pg_snapshot", "xid8", "int4range",
            "numrange", "tsrange", "tstzrange", "daterange", "int8range", "int4multirange", "nummultirange",
            "tsmultirange", "tstzmultirange", "datemultirange", "int8multirange");

    private ArrayJson() {
    }

    /**
     * How arrays of the built-in type {@code typname} (pg_type.typname, e.g. {@code int4}, {@code timestamptz}) write
     * their elements; {@code null} for types that are not built in (user-defined, extension, domain and composite
     * types, whose JSON form depends on their definition).
     */
    public static Element element(String typname) {
        return switch (typname) {
            case "bool" -> Element.BOOLEAN;
            case "int2", "int4", "int8", "float4", "float8", "numeric" -> Element.NUMBER;
            case "timestamp" -> Element.TIMESTAMP;
            case "timestamptz" -> Element.TIMESTAMPTZ;
            case "json", "jsonb" -> Element.JSON;
            default -> BUILT_IN_TEXT.contains(typname) ? Element.TEXT : null;
        };
    }

    /** The delimiter between the elements of arrays of {@code typname} in their text: {@code ;} for box, else {@code ,}. */
    public static char delimiter(String typname) {
        return "box".equals(typname) ? ';' : ',';
    }

    /**
     * The JSON array text of an array's text.
     *
     * @throws IllegalArgumentException when the text is not an array's text
     */
    public static String of(String arrayText, Element element, char delimiter) {
        Parser p = new Parser(arrayText, element, delimiter);
        if (p.at('[')) { // bounds other than 1: [0:1]={...}; array_to_json ignores them
            int equals = arrayText.indexOf('=');
            if (equals < 0) {
                throw p.error("'=' after the bounds");
            }
            p.pos = equals + 1;
        }
        StringBuilder out = new StringBuilder(arrayText.length() + 8);
        p.array(out);
        p.skipSpace();
        if (p.pos != arrayText.length()) {
            throw p.error("the end of the text");
        }
        return out.toString();
    }

    /**
     * The JSON array of an int2vector's or oidvector's text (numbers separated by spaces), as a table source reads it
     * ({@code array_to_json} of the value cast to an array of numbers).
     */
    public static String ofVector(String vectorText) {
        StringBuilder out = new StringBuilder(vectorText.length() + 2).append('[');
        boolean first = true;
        for (String n : vectorText.trim().split(" +")) {
            if (n.isEmpty()) {
                continue;
            }
            if (!isJsonNumber(n)) {
                throw new IllegalArgumentException("not a number in a vector's text: \"" + n + "\" in \"" + vectorText + "\"");
            }
            out.append(first ? "" : ",").append(n);
            first = false;
        }
        return out.append(']').toString();
    }

    private static final class Parser {
        final String s;
        final Element element;
        final char delimiter;
        int pos;

        Parser(String s, Element element, char delimiter) {
            this.s = s;
            this.element = element;
            this.delimiter = delimiter;
        }

        boolean at(char c) {
            return pos < s.length() && s.charAt(pos) == c;
        }

        void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        IllegalArgumentException error(String expected) {
            return new IllegalArgumentException("not an array's text: expected " + expected + " at position " + pos
                    + " of \"" + (s.length() > 200 ? s.substring(0, 200) + "..." : s) + "\"");
        }

        void array(StringBuilder out) {
            skipSpace();
            if (!at('{')) {
                throw error("'{'");
            }
            pos++;
            out.append('[');
            skipSpace();
            if (at('}')) {
                pos++;
                out.append(']');
                return;
            }
            while (true) {
                skipSpace();
                if (at('{')) {
                    array(out);
                } else if (at('"')) {
                    value(out, quoted());
                } else {
                    String text = unquoted();
                    value(out, text.equalsIgnoreCase("NULL") ? null : text);
                }
                skipSpace();
                if (at(delimiter)) {
                    pos++;
                    out.append(',');
                } else if (at('}')) {
                    pos++;
                    out.append(']');
                    return;
                } else {
                    throw error("'" + delimiter + "' or '}'");
                }
            }
        }

        String quoted() {
            StringBuilder text = new StringBuilder();
            pos++; // the opening quote
            while (pos < s.length()) {
                char c = s.charAt(pos++);
                if (c == '"') {
                    return text.toString();
                }
                if (c == '\\' && pos < s.length()) {
                    c = s.charAt(pos++);
                }
                text.append(c);
            }
            throw error("a closing '\"'");
        }

        String unquoted() {
            int start = pos;
            while (pos < s.length() && s.charAt(pos) != delimiter && s.charAt(pos) != '}') {
                pos++;
            }
            String text = s.substring(start, pos).strip();
            if (text.isEmpty()) {
                throw error("an element");
            }
            return text;
        }

        void value(StringBuilder out, String text) {
            if (text == null) {
                out.append("null");
                return;
            }
            switch (element) {
                case BOOLEAN -> out.append(text.equals("t") || text.equals("true") ? "true" : "false");
                case NUMBER -> {
                    if (isJsonNumber(text)) {
                        out.append(text);
                    } else {
                        JsonText.string(out, text); // NaN, Infinity
                    }
                }
                case JSON -> out.append(text);
                case TIMESTAMP -> JsonText.string(out, text.endsWith("infinity") ? text : text.replaceFirst(" ", "T"));
                case TIMESTAMPTZ -> JsonText.string(out, text.endsWith("infinity") ? text : timestamptzAtUtc(text));
                default -> JsonText.string(out, text);
            }
        }
    }

    /** Whether PostgreSQL writes the number's text bare in JSON ({@code IsValidJsonNumber}). */
    static boolean isJsonNumber(String s) {
        int i = s.startsWith("-") ? 1 : 0;
        int n = s.length();
        if (i < n && s.charAt(i) == '0') {
            i++;
        } else if (i < n && s.charAt(i) >= '1' && s.charAt(i) <= '9') {
            while (i < n && Character.isDigit(s.charAt(i))) {
                i++;
            }
        } else {
            return false;
        }
        if (i < n && s.charAt(i) == '.') {
            int digits = ++i;
            while (i < n && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == digits) {
                return false;
            }
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int digits = i;
            while (i < n && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == digits) {
                return false;
            }
        }
        return i == n;
    }

    /**
     * A timestamptz's ISO text in any session time zone ({@code 2024-01-01 10:00:00.5+01}, offsets to the second,
     * {@code  BC}) as {@code to_json} writes it in a session at UTC: {@code 2024-01-01T09:00:00.5+00:00}.
     */
    static String timestamptzAtUtc(String text) {
        boolean bc = text.endsWith(" BC");
        String t = bc ? text.substring(0, text.length() - 3) : text;
        try {
            int space = t.indexOf(' ');
            int dash1 = t.indexOf('-');
            int dash2 = t.indexOf('-', dash1 + 1);
            int year = Integer.parseInt(t.substring(0, dash1));
            int month = Integer.parseInt(t.substring(dash1 + 1, dash2));
            int day = Integer.parseInt(t.substring(dash2 + 1, space));
            int hour = Integer.parseInt(t.substring(space + 1, space + 3));
            int minute = Integer.parseInt(t.substring(space + 4, space + 6));
            int second = Integer.parseInt(t.substring(space + 7, space + 9));
            int zone = Math.max(t.lastIndexOf('+'), t.lastIndexOf('-'));
            if (zone <= space) {
                throw new IllegalArgumentException("no offset");
            }
            String fraction = t.substring(space + 9, zone); // "" or ".5"
            String[] parts = t.substring(zone + 1).split(":");
            int offset = Integer.parseInt(parts[0]) * 3600 + (parts.length > 1 ? Integer.parseInt(parts[1]) * 60 : 0)
                    + (parts.length > 2 ? Integer.parseInt(parts[2]) : 0);
            if (t.charAt(zone) == '-') {
                offset = -offset;
            }
            LocalDateTime utc = LocalDateTime.of(bc ? 1 - year : year, month, day, hour, minute, second).minusSeconds(offset);
            int y = utc.getYear();
            return String.format("%04d-%02d-%02dT%02d:%02d:%02d%s+00:00%s", y > 0 ? y : 1 - y, utc.getMonthValue(),
                    utc.getDayOfMonth(), utc.getHour(), utc.getMinute(), utc.getSecond(), fraction, y > 0 ? "" : " BC");
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a timestamp with time zone's ISO text: \"" + text + "\"", e);
        }
    }
}
