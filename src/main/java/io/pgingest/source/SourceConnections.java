package io.pgingest.source;

import io.pgingest.connect.SshTunnels;
import io.pgingest.pipeline.PipelineSettings.SourceSettings;
import org.apache.sshd.common.util.net.SshdSocketAddress;

import java.io.IOException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Opens JDBC connections to a pipeline's source with the session settings every reader
 * relies on: ISO dates, UTC, the {@code postgres} interval style and exact floats, so that
 * text values (cursors, keys) read in one session can be parsed back in another; and the
 * pipeline's SSL settings.
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
        p.setProperty("binaryTransferDisable", io.pgingest.mapping.TypeMapping.BINARY_TRANSFER_DISABLE);
        if (source.ssl() != null) {
            source.ssl().jdbcProperties(source.ssh() != null ? source.host() : null).forEach(p::setProperty);
        }
        if (source.ssh() == null) {
            return DriverManager.getConnection(source.jdbcUrl(), p);
        }
        HostAndPort local = reachable(source);
        return DriverManager.getConnection("jdbc:postgresql://" + local.host() + ":" + local.port() + "/" + source.database(), p);
    }

    /** Where the source is reached from here: its host and port, or the local end of its SSH tunnel. */
    public record HostAndPort(String host, int port) {
    }

    /** The address to connect to (opening the pipeline's SSH tunnel when it has one). */
    public static HostAndPort reachable(SourceSettings source) throws SQLException {
        if (source.ssh() == null) {
            return new HostAndPort(source.host(), source.port());
        }
        try {
            SshdSocketAddress local = SshTunnels.local(source.ssh(), source.host(), source.port());
            return new HostAndPort(local.getHostName(), local.getPort());
        } catch (IOException e) {
            throw new SQLException(e.getMessage(), "08001", e);
        }
    }

    /**
     * The setting a failed connection attempt points at, for the error's key: {@code database} when the server has no
     * such database, {@code user} when it refused the login, else {@code host}.
     */
    public static String setting(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return state.equals("3D000") ? "database" : state.equals("28P01") || state.equals("28000") ? "user" : "host";
    }

    /**
     * What a failed connection attempt means, in one line ending with what to fix: the server unreachable, the login
     * refused, the database missing, or an SSL problem (the server's certificate not signed by the CA file, not naming
     * the host, a client certificate required, SSL not offered).
     */
    public static String problem(SQLException e, SourceSettings source) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String message = String.valueOf(e.getMessage());
        Throwable cause = e.getCause();
        String where = "cannot connect to PostgreSQL " + source + ": " + message + "; fix: ";
        if (source.ssh() != null && cause instanceof IOException) {
            return "cannot connect to PostgreSQL " + source + " through SSH " + source.ssh() + ": " + message; // it says the fix
        }
        if (cause instanceof java.net.UnknownHostException) {
            return where + "check 'host'";
        }
        if (message.contains("PKIX path") || message.contains("certification path")) {
            return where + "the server's certificate is not signed by a CA certificate of sslCaFile (only the file's"
                    + " first certificate is trusted unless sslLoadAllCaCertificates is true); give the CA that signed it";
        }
        if (message.contains("could not be verified by hostnameverifier")) {
            return where + "the server's certificate does not name host " + source.host() + "; connect with a host name"
                    + " the certificate names, or set sslVerifyHostname: false (the CA is still checked)";
        }
        if (message.contains("requires a valid client certificate") || message.contains("certificate authentication failed")) {
            return where + "the server wants a client certificate for this user: set sslClientCertFile and sslClientKeyFile"
                    + " (a certificate whose CN is the user, signed by a CA the server trusts)";
        }
        if (message.contains("does not support SSL")) {
            return where + "the server does not offer SSL: turn ssl on in its configuration, or remove ssl: true";
        }
        if (cause instanceof java.net.ConnectException || state.equals("08001") || state.equals("08004")) {
            return where + "check 'host' and 'port', that PostgreSQL listens there (listen_addresses) and that no"
                    + " firewall or security group blocks this machine";
        }
        if (message.contains("no encryption")) {
            return where + "the server accepts this user from here over SSL only: set ssl: true (or leave ssl at prefer)";
        }
        if (state.equals("28P01") || state.equals("28000")) {
            return where + "check 'user' and 'password', and that pg_hba.conf lets this user connect from this machine";
        }
        if (state.equals("3D000")) {
            return where + "check 'database'";
        }
        return where + "check host, port, database, user and password, and that the server accepts connections";
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
