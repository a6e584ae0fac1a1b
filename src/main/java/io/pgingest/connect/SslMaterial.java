package io.pgingest.connect;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the files of {@link SslSettings} (PEM certificates, an RSA private key) and builds the {@link SSLContext}
 * of the source connections. Every problem is an {@link SslProblem} naming the setting and what to do.
 */
public final class SslMaterial {

    /** A bad SSL file: {@code setting} is the pipeline setting that names it. */
    public static final class SslProblem extends IllegalArgumentException {
        private final String setting;

        SslProblem(String setting, String message) {
            super(message);
            this.setting = setting;
        }

        public String setting() {
            return setting;
        }
    }

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    private final List<X509Certificate> authorities;
    private final int authoritiesInFile;
    private final List<X509Certificate> clientChain;
    private final PrivateKey clientKey;

    private SslMaterial(List<X509Certificate> authorities, int authoritiesInFile, List<X509Certificate> clientChain,
                        PrivateKey clientKey) {
        this.authorities = authorities;
        this.authoritiesInFile = authoritiesInFile;
        this.clientChain = clientChain;
        this.clientKey = clientKey;
    }

    /** Reads and checks every file of {@code settings}. */
    public static SslMaterial load(SslSettings settings) {
        List<X509Certificate> authorities = List.of();
        int inFile = 0;
        if (settings.caFile() != null) {
            List<X509Certificate> all = certificates(settings.caFile(), "sslCaFile");
            inFile = all.size();
            int keep = settings.loadAllCaCertificates() ? Math.min(all.size(), SslSettings.MAX_CA_CERTIFICATES) : 1;
            authorities = List.copyOf(all.subList(0, keep));
        }
        List<X509Certificate> chain = List.of();
        PrivateKey key = null;
        if (settings.clientCertFile() != null) {
            chain = certificates(settings.clientCertFile(), "sslClientCertFile");
            if (!(chain.get(0).getPublicKey() instanceof RSAPublicKey publicKey)) {
                throw new SslProblem("sslClientCertFile", settings.clientCertFile() + " holds a "
                        + chain.get(0).getPublicKey().getAlgorithm() + " certificate; only RSA certificates and keys are supported");
            }
            key = rsaKey(settings.clientKeyFile());
            if (key instanceof RSAPrivateCrtKey crt && !crt.getModulus().equals(publicKey.getModulus())) {
                throw new SslProblem("sslClientKeyFile", settings.clientKeyFile() + " is not the key of the certificate in "
                        + settings.clientCertFile() + "; give the key that belongs to it");
            }
        }
        return new SslMaterial(authorities, inFile, chain, key);
    }

    /** The CA certificates trusted (the first, or up to 50). */
    public List<X509Certificate> authorities() {
        return authorities;
    }

    /** How many certificates the CA file holds, trusted or not. */
    public int authoritiesInFile() {
        return authoritiesInFile;
    }

    /** The SSL context: trusting the CA certificates (or, without any, every server) and offering the client key. */
    public SSLContext context() {
        try {
            TrustManager[] trust;
            if (authorities.isEmpty()) {
                trust = new TrustManager[] {new UnverifiedServers()};
            } else {
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                for (int i = 0; i < authorities.size(); i++) {
                    ks.setCertificateEntry("ca-" + i, authorities.get(i));
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                trust = tmf.getTrustManagers();
            }
            KeyManager[] keys = null;
            if (clientKey != null) {
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                char[] none = new char[0];
                ks.setKeyEntry("client", clientKey, none, clientChain.toArray(new X509Certificate[0]));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, none);
                keys = kmf.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up SSL: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certificates(Path file, String setting) {
        String text = read(file, setting);
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            Matcher m = PEM.matcher(text);
            while (m.find()) {
                if (m.group(1).equals("CERTIFICATE")) {
                    out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(base64(m.group(2), file, setting))));
                }
            }
        } catch (CertificateException e) {
            throw new SslProblem(setting, file + " holds a certificate that cannot be read: " + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new SslProblem(setting, file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    private static PrivateKey rsaKey(Path file) {
        String setting = "sslClientKeyFile";
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new SslProblem(setting, "cannot read " + file + ": " + e.getMessage());
        }
        String text = new String(raw, StandardCharsets.US_ASCII);
        Matcher m = PEM.matcher(text);
        byte[] pkcs8;
        if (m.find()) {
            String type = m.group(1);
            if (type.equals("ENCRYPTED PRIVATE KEY") || m.group(2).contains("ENCRYPTED")) {
                throw new SslProblem(setting, file + " is encrypted; give an unencrypted key (openssl pkey -in "
                        + file.getFileName() + " -out client.key)");
            }
            if (type.equals("RSA PRIVATE KEY")) {
                pkcs8 = pkcs1ToPkcs8(base64(m.group(2), file, setting));
            } else if (type.equals("PRIVATE KEY")) {
                pkcs8 = base64(m.group(2), file, setting);
            } else {
                throw new SslProblem(setting, file + " holds a " + type + "; only RSA keys are supported");
            }
        } else {
            pkcs8 = raw; // pgjdbc's own format: DER PKCS#8
        }
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            for (String other : List.of("EC", "Ed25519", "DSA")) {
                try {
                    KeyFactory.getInstance(other).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
                    throw new SslProblem(setting, file + " holds a " + other + " key; only RSA keys are supported");
                } catch (GeneralSecurityException ignored) {
                    // not this type either
                }
            }
            throw new SslProblem(setting, file + " holds no readable private key (PEM PKCS#8, PEM PKCS#1 or DER PKCS#8)");
        }
    }

    /** PKCS#1 RSAPrivateKey wrapped as PKCS#8 PrivateKeyInfo (version 0, rsaEncryption, the key as OCTET STRING). */
    static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = der(0x04, pkcs1);
        byte[] body = new byte[version.length + algorithm.length + octets.length];
        System.arraycopy(version, 0, body, 0, version.length);
        System.arraycopy(algorithm, 0, body, version.length, algorithm.length);
        System.arraycopy(octets, 0, body, version.length + algorithm.length, octets.length);
        return der(0x30, body);
    }

    private static byte[] der(int tag, byte[] content) {
        byte[] length;
        if (content.length < 0x80) {
            length = new byte[] {(byte) content.length};
        } else {
            byte[] n = BigInteger.valueOf(content.length).toByteArray();
            int start = n[0] == 0 ? 1 : 0;
            length = new byte[1 + n.length - start];
            length[0] = (byte) (0x80 | (n.length - start));
            System.arraycopy(n, start, length, 1, n.length - start);
        }
        byte[] out = new byte[1 + length.length + content.length];
        out[0] = (byte) tag;
        System.arraycopy(length, 0, out, 1, length.length);
        System.arraycopy(content, 0, out, 1 + length.length, content.length);
        return out;
    }

    private static String read(Path file, String setting) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new SslProblem(setting, "cannot read " + file + ": " + e.getMessage());
        }
    }

    private static byte[] base64(String body, Path file, String setting) {
        String b64 = body.lines().filter(l -> !l.contains(":")).map(String::strip).reduce("", String::concat);
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new SslProblem(setting, file + " has a PEM block that is not valid base64");
        }
    }

    /** {@code require} without a CA file: encrypted, the server not verified (libpq's meaning of sslmode=require). */
    private static final class UnverifiedServers implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
