// The 3-D scene of the view, shared by the replay page and the live page.
// Site ENU (east, north, up) maps to three.js (x, y, z) = (east, up, -north).
"use strict";
window.SurefootScene = function (canvas, terrainData, target, touchdown, looks) {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x02030a);
  const camera = new THREE.PerspectiveCamera(45, 1, 0.5, 3e6);
  const controls = new THREE.OrbitControls(camera, canvas);
  controls.enableDamping = false;
  scene.add(new THREE.AmbientLight(0xffffff, 0.25));
  const sun = new THREE.DirectionalLight(0xffffff, 2.2);
  sun.position.set(-1, 0.35, 0.4);  // low sun from the west: long shadows make relief readable
  scene.add(sun);

  // terrain patch around touchdown
  const TR = terrainData;
  const tgeo = new THREE.BufferGeometry();
  const tpos = new Float32Array(TR.nx * TR.ny * 3);
  let hmin = Infinity;
  for (let j = 0; j < TR.ny; j++) for (let i = 0; i < TR.nx; i++) {
    const k = j * TR.nx + i, h = TR.h[k];
    tpos[3 * k] = TR.x0 + i * TR.dx; tpos[3 * k + 1] = h; tpos[3 * k + 2] = -(TR.y0 + j * TR.dx);
    hmin = Math.min(hmin, h);
  }
  const tidx = [];
  for (let j = 0; j < TR.ny - 1; j++) for (let i = 0; i < TR.nx - 1; i++) {
    const a = j * TR.nx + i, b = a + 1, c = a + TR.nx, d = c + 1;
    tidx.push(a, b, c, b, d, c);
  }
  tgeo.setAttribute("position", new THREE.BufferAttribute(tpos, 3));
  tgeo.setIndex(tidx);
  tgeo.computeVertexNormals();
  scene.add(new THREE.Mesh(tgeo, new THREE.MeshLambertMaterial({ color: 0x9a968f, side: THREE.DoubleSide })));
  // the far field: grids on the reference sphere, flattened (1 km and 10 km cells)
  const near = new THREE.GridHelper(20000, 20, 0x5a6672, 0x46505a);
  near.position.y = hmin - 1; scene.add(near);
  const far = new THREE.GridHelper(2000000, 200, 0x46505a, 0x343c44);
  far.position.y = hmin - 2; scene.add(far);

  function terrainHeight(e, n) {
    const i = Math.max(0, Math.min(TR.nx - 1, Math.round((e - TR.x0) / TR.dx)));
    const j = Math.max(0, Math.min(TR.ny - 1, Math.round((n - TR.y0) / TR.dx)));
    return TR.h[j * TR.nx + i];
  }
  function mark(e, n, color, r) {
    const ring = new THREE.Mesh(new THREE.RingGeometry(r * 0.8, r, 48),
      new THREE.MeshBasicMaterial({ color, side: THREE.DoubleSide }));
    ring.rotation.x = -Math.PI / 2; ring.position.set(e, terrainHeight(e, n) + 0.3, -n);
    scene.add(ring);
  }
  mark(target[0], target[1], 0x20e0e0, 6);
  if (touchdown) mark(touchdown[0], touchdown[1], 0xff4040, 3);
  // hazard looks: a line from where the sensor looked (the flight software's estimate)
  // to the site the look chose, a yellow ring there and a grey one at the site it left
  for (const lk of (looks || [])) {
    const to = new THREE.Vector3(lk.after[0], terrainHeight(lk.after[0], lk.after[1]) + 0.3, -lk.after[1]);
    const from = new THREE.Vector3(lk.sensor[0], lk.sensor[2], -lk.sensor[1]);
    scene.add(new THREE.Line(new THREE.BufferGeometry().setFromPoints([from, to]),
      new THREE.LineBasicMaterial({ color: 0xffd040 })));
    mark(lk.after[0], lk.after[1], 0xffd040, 4);
    if (Math.hypot(lk.after[0] - lk.before[0], lk.after[1] - lk.before[1]) > 0.5)
      mark(lk.before[0], lk.before[1], 0x8a8a8a, 4);
  }

  // the lander. The quaternion (body -> local ENU) is carried into three.js axes as
  // P q P^T, so the model is built in those axes: body z, the thrust axis, along the
  // group's +y; body x along +x
  const lander = new THREE.Group();
  const grey = (c) => new THREE.MeshLambertMaterial({ color: c });
  const body = new THREE.Mesh(new THREE.CylinderGeometry(1.0, 1.2, 2.0, 16), grey(0xd9c27a));
  body.position.y = 1.6; lander.add(body);
  const top = new THREE.Mesh(new THREE.BoxGeometry(1.2, 0.6, 1.2), grey(0xb0b8c0));
  top.position.y = 2.9; lander.add(top);
  for (let k = 0; k < 4; k++) {
    const a = k * Math.PI / 2 + Math.PI / 4, c = Math.cos(a), s = Math.sin(a);
    const from = new THREE.Vector3(1.0 * c, 1.2, 1.0 * s), to = new THREE.Vector3(2.0 * c, -0.5, 2.0 * s);
    const leg = new THREE.Mesh(new THREE.CylinderGeometry(0.06, 0.06, from.distanceTo(to), 6), grey(0x888888));
    leg.position.copy(from).add(to).multiplyScalar(0.5);
    leg.quaternion.setFromUnitVectors(new THREE.Vector3(0, 1, 0), from.clone().sub(to).normalize());
    lander.add(leg);
    const pad = new THREE.Mesh(new THREE.CylinderGeometry(0.25, 0.25, 0.05, 10), grey(0x777777));
    pad.position.copy(to); lander.add(pad);
  }
  // plume below the nozzle along body -z, its length scaled by the throttle
  const plumeGeo = new THREE.ConeGeometry(0.7, 1.0, 20, 1, true);
  plumeGeo.translate(0, -0.5, 0);  // apex at the nozzle, opening downwards
  const plume = new THREE.Mesh(plumeGeo, new THREE.MeshBasicMaterial({ color: 0x9fd0ff, transparent: true,
    opacity: 0.7, depthWrite: false, side: THREE.DoubleSide }));
  plume.position.y = 0.6;
  lander.add(plume);
  scene.add(lander);
  // a second pose drawn as a wireframe (where the lander believes it is, or what the
  // ground last received), joined to the lander by a dashed line
  const ghost = new THREE.Mesh(new THREE.CylinderGeometry(1.0, 1.2, 2.0, 12),
    new THREE.MeshBasicMaterial({ color: 0x5fb0ff, wireframe: true, transparent: true, opacity: 0.8 }));
  const ghostGroup = new THREE.Group();
  ghost.position.y = 1.6; ghostGroup.add(ghost);
  const ghostLine = new THREE.Line(new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3()]),
    new THREE.LineDashedMaterial({ color: 0x5fb0ff, dashSize: 3, gapSize: 2 }));
  scene.add(ghostGroup, ghostLine);

  // trajectory lines: set (or grown) with arrays of flattened (e, n, u)
  function line(color) {
    const geo = new THREE.BufferGeometry();
    const obj = new THREE.Line(geo, new THREE.LineBasicMaterial({ color }));
    scene.add(obj);
    return (es, ns, us) => {
      const p = new Float32Array(es.length * 3);
      for (let i = 0; i < es.length; i++) { p[3 * i] = es[i]; p[3 * i + 1] = us[i]; p[3 * i + 2] = -ns[i]; }
      geo.setAttribute("position", new THREE.BufferAttribute(p, 3));
      geo.computeBoundingSphere();
    };
  }

  camera.position.set(-45, 35, 45);
  controls.target.set(0, 0, 0);
  const lastLander = new THREE.Vector3();

  function resize() {
    const w = canvas.clientWidth, h = canvas.clientHeight;
    if (w === 0 || h === 0) return;
    renderer.setSize(w, h, false);
    camera.aspect = w / h; camera.updateProjectionMatrix();
  }
  // pose: flattened (e, n, u) in m and the body -> local ENU quaternion (w, x, y, z)
  function setLander(e, n, u, qw, qx, qy, qz, throttlePercent, follow) {
    lander.position.set(e, u, -n);
    lander.quaternion.set(qx, qz, -qy, qw);
    const thr = throttlePercent || 0;
    plume.visible = thr > 0.5;
    plume.scale.set(0.6 + thr / 200, 2 + 14 * thr / 100, 0.6 + thr / 200);
    if (follow) {
      camera.position.add(lander.position.clone().sub(lastLander));
      controls.target.copy(lander.position);
    }
    lastLander.copy(lander.position);
  }
  function setGhost(e, n, u, qw, qx, qy, qz) {
    const ok = [e, n, u].every((v) => v !== null && v !== undefined && isFinite(v));
    ghostGroup.visible = ghostLine.visible = ok;
    if (!ok) return;
    ghostGroup.position.set(e, u, -n);
    ghostGroup.quaternion.set(qx, qz, -qy, qw);
    ghostLine.geometry.setFromPoints([lander.position, ghostGroup.position]);
    ghostLine.computeLineDistances();
  }
  function render() { controls.update(); resize(); renderer.render(scene, camera); }
  return { setLander, setGhost, line, render, landerPosition: () => lander.position.toArray() };
};
