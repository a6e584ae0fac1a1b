package io.pgingest.source;

import io.pgingest.pipeline.PipelineSettings.SourceSettings;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Opens JDBC connections to a pipeline's source with the session settings every reader
 * relies on: ISO dates, UTC, the {@code postgres} interval style and exact floats, so that
 * text values (cursors, keys) read in one session can be parsed back in another.
 */
public final class SourceConnections {

    private SourceConnections() {
    }

    public static Connection open(SourceSettings source, String pipeline) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", source.user());
        p.setProperty("password", source.password());
        p.setProperty("ApplicationName", truncate("pg-ingest " + pipeline, 63));
        // The settings TypeMapping relies on (TypeMapping.SESSION_SETTINGS), applied at connection start.
        p.setProperty("options", "-c DateStyle=ISO,YMD -c TimeZone=UTC -c IntervalStyle=postgres -c bytea_output=hex -c extra_float_digits=3");
        p.setProperty("connectTimeout", "10");
        p.setProperty("tcpKeepAlive", "true");
        // Binary results from a statement's first execution, as pgjdbc otherwise does from the fifth: every page of a
        // load is decoded the same way (the type tests then cover the path that long loads take).
        p.setProperty("prepareThreshold", "-1");
        return DriverManager.getConnection(source.jdbcUrl(), p);
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
