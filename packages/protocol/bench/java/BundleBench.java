import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.xml.crypto.Data;
import javax.xml.crypto.OctetStreamData;
import javax.xml.crypto.URIDereferencer;
import javax.xml.crypto.URIReference;
import javax.xml.crypto.XMLCryptoContext;
import javax.xml.crypto.dom.DOMStructure;
import javax.xml.crypto.dsig.CanonicalizationMethod;
import javax.xml.crypto.dsig.DigestMethod;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.SignedInfo;
import javax.xml.crypto.dsig.Transform;
import javax.xml.crypto.dsig.XMLObject;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMSignContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.KeyInfoFactory;
import javax.xml.crypto.dsig.spec.C14NMethodParameterSpec;
import javax.xml.crypto.dsig.spec.TransformParameterSpec;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The JDK-only baseline for the bundle benchmark, and an oracle for the tests: builds the document bundle the way
 * the official Java client does (java.util.zip with default deflate, javax.xml.crypto.dsig for the XAdES signature,
 * a DOM for the qualifying properties laid out as JAXB marshals them, the JDK identity Transformer to serialize).
 *
 *   java BundleBench.java sign  <p12> <passphrase> <epochMillis> <zoneId> <out.xml> (<name> <mime> <path>)...
 *   java BundleBench.java bench <p12> <passphrase> <warmups> <runs> (<name> <mime> <path>)...
 *   java BundleBench.java serve <p12> <passphrase> <warmups> 0 (<name> <mime> <path>)...
 *     warms up, prints "ready", then builds one bundle per "run" line on stdin and prints its milliseconds, so the
 *     caller can interleave JDK rounds with its own on a shared machine.
 */
public class BundleBench {
    static final String DS = XMLSignature.XMLNS;
    static final String XADES = "http://uri.etsi.org/01903/v1.3.2#";
    static final String ASIC = "http://uri.etsi.org/2918/v1.2.1#";
    static final String XMLNS = "http://www.w3.org/2000/xmlns/";

    record FileEntry(String name, String mime, byte[] bytes) {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        char[] passphrase = args[2].toCharArray();
        try (FileInputStream in = new FileInputStream(args[1])) {
            keyStore.load(in, passphrase);
        }
        String alias = null;
        for (Enumeration<String> aliases = keyStore.aliases(); aliases.hasMoreElements(); ) {
            String a = aliases.nextElement();
            if (keyStore.isKeyEntry(a)) alias = a;
        }
        PrivateKey key = (PrivateKey) keyStore.getKey(alias, passphrase);
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : keyStore.getCertificateChain(alias)) chain.add((X509Certificate) c);
        List<FileEntry> files = new ArrayList<>();
        for (int i = mode.equals("sign") ? 6 : 5; i + 2 < args.length; i += 3) {
            files.add(new FileEntry(args[i], args[i + 1], Files.readAllBytes(Paths.get(args[i + 2]))));
        }
        if (mode.equals("sign")) {
            ZonedDateTime time = Instant.ofEpochMilli(Long.parseLong(args[3])).atZone(ZoneId.of(args[4]));
            byte[] xml = signatures(files, key, chain, time);
            Files.write(Paths.get(args[5]), xml);
        } else if (mode.equals("serve")) {
            int warmups = Integer.parseInt(args[3]);
            for (int i = 0; i < warmups; i++) bundle(files, key, chain);
            System.out.println("ready");
            System.out.flush();
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
            String line;
            while ((line = in.readLine()) != null && line.equals("run")) {
                long start = System.nanoTime();
                int size = bundle(files, key, chain).length;
                System.out.printf("%.3f %d%n", (System.nanoTime() - start) / 1e6, size);
                System.out.flush();
            }
        } else {
            int warmups = Integer.parseInt(args[3]);
            int runs = Integer.parseInt(args[4]);
            long size = 0;
            for (int i = 0; i < warmups; i++) size = bundle(files, key, chain).length;
            long[] times = new long[runs];
            for (int i = 0; i < runs; i++) {
                long start = System.nanoTime();
                size = bundle(files, key, chain).length;
                times[i] = System.nanoTime() - start;
            }
            Arrays.sort(times);
            System.out.printf("{\"medianMs\":%.2f,\"minMs\":%.2f,\"bundleBytes\":%d,\"runs\":%d,\"warmups\":%d}%n",
                times[runs / 2] / 1e6, times[0] / 1e6, size, runs, warmups);
        }
    }

    static byte[] bundle(List<FileEntry> files, PrivateKey key, List<X509Certificate> chain) throws Exception {
        byte[] signatures = signatures(files, key, chain, ZonedDateTime.now());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (FileEntry f : files) {
                zip.putNextEntry(new ZipEntry(f.name()));
                zip.write(f.bytes());
                zip.closeEntry();
            }
            zip.putNextEntry(new ZipEntry("META-INF/signatures.xml"));
            zip.write(signatures);
            zip.closeEntry();
        }
        return out.toByteArray();
    }

    static String signingTime(ZonedDateTime t) {
        String base = t.format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss"));
        int millis = t.getNano() / 1_000_000;
        if (millis != 0) base += String.format(".%03d", millis);
        int offset = t.getOffset().getTotalSeconds() / 60;
        if (offset == 0) return base + "Z";
        int abs = Math.abs(offset);
        return base + (offset < 0 ? "-" : "+") + String.format("%02d:%02d", abs / 60, abs % 60);
    }

    static byte[] signatures(List<FileEntry> files, PrivateKey key, List<X509Certificate> chain, ZonedDateTime time)
            throws Exception {
        XMLSignatureFactory factory = XMLSignatureFactory.getInstance("DOM");
        DigestMethod sha256 = factory.newDigestMethod(DigestMethod.SHA256, null);
        List<Reference> references = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            FileEntry f = files.get(i);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(f.bytes());
            references.add(factory.newReference(
                URLEncoder.encode(f.name(), StandardCharsets.UTF_8), sha256, null, null, "ID_" + i, digest));
        }
        Transform c14n = factory.newTransform(CanonicalizationMethod.INCLUSIVE, (TransformParameterSpec) null);
        references.add(factory.newReference("#SignedProperties", sha256, Collections.singletonList(c14n),
            "http://uri.etsi.org/01903#SignedProperties", null));
        SignedInfo signedInfo = factory.newSignedInfo(
            factory.newCanonicalizationMethod(CanonicalizationMethod.INCLUSIVE, (C14NMethodParameterSpec) null),
            factory.newSignatureMethod("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", null),
            references);
        KeyInfoFactory keyInfoFactory = factory.getKeyInfoFactory();
        KeyInfo keyInfo = keyInfoFactory.newKeyInfo(Collections.singletonList(keyInfoFactory.newX509Data(chain)));

        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        Document xades = dbf.newDocumentBuilder().newDocument();
        xades.appendChild(qualifyingProperties(xades, files, chain.get(0), time));
        XMLObject object = factory.newXMLObject(
            Collections.singletonList(new DOMStructure(xades.getDocumentElement())), null, null, null);
        XMLSignature signature = factory.newXMLSignature(
            signedInfo, keyInfo, Collections.singletonList(object), "Signature", null);

        Document document = dbf.newDocumentBuilder().newDocument();
        Element root = document.createElementNS(ASIC, "XAdESSignatures");
        document.appendChild(root);
        DOMSignContext context = new DOMSignContext(key, root);
        URIDereferencer standard = factory.getURIDereferencer();
        context.setURIDereferencer(new URIDereferencer() {
            public Data dereference(URIReference reference, XMLCryptoContext ctx)
                    throws javax.xml.crypto.URIReferenceException {
                String uri = reference.getURI();
                if (uri.equals("#SignedProperties")) {
                    // Called after marshalling: register the Id of the embedded copy, then resolve it normally.
                    NodeList found = root.getElementsByTagNameNS(XADES, "SignedProperties");
                    context.setIdAttributeNS((Element) found.item(0), null, "Id");
                    return standard.dereference(reference, ctx);
                }
                for (FileEntry f : files) {
                    if (URLEncoder.encode(f.name(), StandardCharsets.UTF_8).equals(uri)) {
                        return new OctetStreamData(new java.io.ByteArrayInputStream(f.bytes()), uri, f.mime());
                    }
                }
                throw new javax.xml.crypto.URIReferenceException("unknown reference " + uri);
            }
        });
        signature.sign(context);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TransformerFactory.newInstance().newTransformer().transform(new DOMSource(document), new StreamResult(out));
        return out.toByteArray();
    }

    static Element qualifyingProperties(Document d, List<FileEntry> files, X509Certificate cert, ZonedDateTime time)
            throws Exception {
        // The layout JAXB produces: XAdES as the default namespace, xmldsig bound to "ns2", both on the root.
        Element qp = d.createElementNS(XADES, "QualifyingProperties");
        qp.setAttributeNS(XMLNS, "xmlns", XADES);
        qp.setAttributeNS(XMLNS, "xmlns:ns2", DS);
        qp.setAttribute("Target", "#Signature");
        Element sp = child(d, qp, XADES, "SignedProperties", null);
        sp.setAttribute("Id", "SignedProperties");
        Element ssp = child(d, sp, XADES, "SignedSignatureProperties", null);
        child(d, ssp, XADES, "SigningTime", signingTime(time));
        Element c = child(d, child(d, ssp, XADES, "SigningCertificate", null), XADES, "Cert", null);
        Element digest = child(d, c, XADES, "CertDigest", null);
        child(d, digest, DS, "ns2:DigestMethod", null).setAttribute("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1");
        child(d, digest, DS, "ns2:DigestValue",
            Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(cert.getEncoded())));
        Element issuerSerial = child(d, c, XADES, "IssuerSerial", null);
        child(d, issuerSerial, DS, "ns2:X509IssuerName", cert.getIssuerX500Principal().getName());
        child(d, issuerSerial, DS, "ns2:X509SerialNumber", cert.getSerialNumber().toString());
        Element sdop = child(d, sp, XADES, "SignedDataObjectProperties", null);
        for (int i = 0; i < files.size(); i++) {
            Element format = child(d, sdop, XADES, "DataObjectFormat", null);
            format.setAttribute("ObjectReference", "#ID_" + i);
            child(d, format, XADES, "MimeType", files.get(i).mime());
        }
        return qp;
    }

    static Element child(Document d, Element parent, String ns, String name, String text) {
        Element e = d.createElementNS(ns, name);
        if (text != null) e.setTextContent(text);
        parent.appendChild(e);
        return e;
    }
}
