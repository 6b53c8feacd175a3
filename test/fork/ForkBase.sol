// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DeploySystem} from "../../script/DeploySystem.s.sol";
import {DemoApes} from "../../script/local/LocalAssets.sol";
import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {GovernanceFixture} from "../governance/GovernanceFixture.sol";
import {FfiSigner} from "../utils/FfiSigner.sol";
import {SaleRules} from "./SaleRules.sol";
import {ISeaport, IWETH9, SeaportTypes} from "./SeaportTypes.sol";
// By path: a remapping for @chainlink would change every contract's compiler input (a full rebuild, 3+ min).
import {MockV3Aggregator} from "../../node_modules/@chainlink/contracts/src/v0.8/tests/MockV3Aggregator.sol";
import {Vm} from "forge-std/Test.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";

/// @notice Fork tests against the real mainnet contracts. With `ETH_RPC_URL` set, setUp forks mainnet at `FORK_BLOCK`
/// (or the `FORK_BLOCK` env override); without it, setUp builds a replica of those contracts at their mainnet
/// addresses from npm artifacts, with each constructor run at its address (see docs/fork-tests.md). Then the whole
/// protocol is deployed as `DeploySystem` deploys it (GovernanceFixture), on WETH9, BAYC and the BAYC floor feed,
/// with the Safe created from the canonical Safe 1.4.1 factory. Test bodies are the same in both modes; the few
/// helpers that must differ (where an ape comes from, how the floor feed moves) are below.
abstract contract ForkBase is GovernanceFixture {
    using SaleRules for Vm.Log;

    /*//////////////////////////////////////////////////////////////
                          MAINNET ADDRESSES
    //////////////////////////////////////////////////////////////*/

    /// @dev Seaport 1.6 (seaport-js 4.3.0's CROSS_CHAIN_SEAPORT_V1_6_ADDRESS) and the canonical ConduitController it
    /// was constructed with (Seaport's deployment table; `information()` returns it, checked on a fork too).
    address internal constant SEAPORT = 0x0000000000000068F116a894984e2DB1123eB395;
    address internal constant CONDUIT_CONTROLLER = 0x00000000F9490004C11Cef243f5400493c00Ad63;
    /// @dev Safe 1.4.1 canonical deployments (@safe-global/safe-deployments, dist/assets/v1.4.1/*.json, canonical).
    address internal constant SAFE_SINGLETON = 0x41675C099F32341bf84BFc5382aF534df5C7461a;
    address internal constant SAFE_PROXY_FACTORY = 0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67;
    address internal constant SAFE_FALLBACK_HANDLER = 0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99;
    address internal constant WETH9 = 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2;
    /// @dev Bored Ape Yacht Club, and Chainlink's "BAYC Floor Price / ETH" feed (an EACAggregatorProxy, 18 decimals)
    /// as listed on docs.chain.link/data-feeds/nft-floor-price/addresses (mainnet).
    address internal constant BAYC = 0xBC4CA0EdA7647A8aB7C2061c2E118A18a936f13D;
    address internal constant BAYC_FLOOR_FEED = 0x352f2Bc3039429fC2fe62004a1575aE74001CfcE;

    /// @dev Runtime code hashes of the canonical Safe 1.4.1 contracts on every chain, recorded from the npm package
    /// safe-global/safe-deployments 1.37.56 (files dist/assets/v1.4.1/safe.json, safe_proxy_factory.json and
    /// compatibility_fallback_handler.json, field `deployments.canonical.codeHash`); not a dependency here.
    bytes32 internal constant SAFE_SINGLETON_CODEHASH =
        0x1fe2df852ba3299d6534ef416eefa406e56ced995bca886ab7a553e6d0c5e1c4;
    bytes32 internal constant SAFE_PROXY_FACTORY_CODEHASH =
        0x50c3cdc4074750a7a974204a716c999edd37482f907608d960b2b025ee0b3317;
    bytes32 internal constant SAFE_FALLBACK_HANDLER_CODEHASH =
        0x7c6007a5d711cea8dfd5d91f5940ec29c7f200fe511eb1fc1397b367af3c42f9;

    /// @dev The pinned fork block, 20,000,000 (about 1 June 2024): after Cancun (13 March 2024, block ~19.43 M; the
    /// protocol is compiled for cancun) and after Seaport 1.6 and Safe 1.4.1 were deployed, in the period when
    /// Chainlink still published NFT floor feeds. Not run against mainnet here (no RPC): `_checkMainnet` names the
    /// precondition a block fails, and `FORK_BLOCK` overrides it. Pinned so a fork is reproducible and forge caches
    /// its state (~/.foundry/cache/rpc).
    uint256 internal constant FORK_BLOCK = 20_000_000;
    /// @dev The replica's clock: mid-2024, close to the pinned block, so both modes run in the same era.
    uint256 internal constant REPLICA_TIME = 1_717_200_000;
    /// @dev The replica feed's answer: a BAYC floor of that period, in ETH (18 decimals).
    int256 internal constant REPLICA_FLOOR = 14 ether;

    string internal constant SEAPORT_ARTIFACTS = "node_modules/@opensea/seaport-js/src/artifacts/seaport/contracts/";
    string internal constant WETH9_ARTIFACT = "node_modules/@uniswap/v2-periphery/build/WETH9.json";

    /// @dev Marketplace fee of the test listings (2.5 %, paid to `feeRecipient`): the sale rules count it in the price.
    uint256 internal constant FEE_BPS = 250;
    /// @dev Seaport's minimum spacing for our TWAP: minWindow (30 min) / 15.
    uint256 internal constant SALE_SPACING = 2 minutes;

    bool internal forked;
    uint256 internal reporterKey;
    address internal feeRecipient = makeAddr("feeRecipient");
    ISeaport internal seaport = ISeaport(SEAPORT);
    IWETH9 internal weth = IWETH9(WETH9);
    SaleRules.Market internal market;

    /// @dev Next token id handed out by `_giveApe` (replica: minted; fork: taken from its holder).
    uint256 internal nextApe = 1000;
    uint256 internal nextSalt;
    /// @dev Sign relayed SaleReports with the oracle service's TypeScript signer instead of `vm.sign`.
    bool internal serviceSigner;
    /// @dev Fork mode: the feed round `_setFloor` mocks next.
    uint80 internal mockedRound;

    function setUp() public virtual override {
        string memory rpc = vm.envOr("ETH_RPC_URL", string(""));
        forked = bytes(rpc).length != 0;
        if (forked) {
            vm.createSelectFork(rpc, vm.envOr("FORK_BLOCK", FORK_BLOCK));
        } else {
            _buildReplica();
        }
        _checkMainnet();
        (, reporterKey) = makeAddrAndKey("reporter");
        super.setUp();
        market = SaleRules.Market({marketplace: SEAPORT, collection: BAYC, asset: WETH9, wethPool: true});
        vm.label(SEAPORT, "Seaport1.6");
        vm.label(WETH9, "WETH9");
        vm.label(BAYC, "BAYC");
        vm.label(BAYC_FLOOR_FEED, "BAYCFloorFeed");
    }

    function _clockStart() internal view override returns (uint256) {
        return block.timestamp; // the fork's block time, or the replica's REPLICA_TIME
    }

    function _config() internal view override returns (DeploySystem.Config memory c) {
        c = super._config();
        c.asset = WETH9;
        c.apes = BAYC;
        c.apesFeed = BAYC_FLOOR_FEED;
        c.safeInfra =
            SafeInfra({singleton: SAFE_SINGLETON, factory: SAFE_PROXY_FACTORY, fallbackHandler: SAFE_FALLBACK_HANDLER});
    }

    /*//////////////////////////////////////////////////////////////
                                REPLICA
    //////////////////////////////////////////////////////////////*/

    /// @dev Every replicated contract is created by running its creation code AT its mainnet address (forge-std's
    /// `deployCodeTo` for artifacts forge can read, `_constructAt` for raw creation code), so constructor state and
    /// address-dependent immutables (Seaport's EIP-712 domain) are those a deployment there would have.
    function _buildReplica() internal {
        vm.chainId(1);
        vm.roll(FORK_BLOCK);
        vm.warp(REPLICA_TIME);
        // Seaport 1.6 from seaport-js 4.3.0's compiled artifacts. Its constructor reads the controller's conduit code
        // hashes, so the controller comes first. The package ships `LocalConduitController` (ConduitController
        // compiled by that build); see docs/fork-tests.md for the code-hash difference.
        deployCodeTo(
            string.concat(SEAPORT_ARTIFACTS, "conduit/ConduitController.sol/LocalConduitController.json"),
            CONDUIT_CONTROLLER
        );
        deployCodeTo(
            string.concat(SEAPORT_ARTIFACTS, "Seaport.sol/Seaport.json"), abi.encode(CONDUIT_CONTROLLER), SEAPORT
        );
        // Safe 1.4.1 from @safe-global/safe-contracts' artifacts (the singleton's constructor locks it: threshold 1).
        _constructAt(_safeCreationCode("Safe.sol/Safe"), SAFE_SINGLETON);
        _constructAt(_safeCreationCode("proxies/SafeProxyFactory.sol/SafeProxyFactory"), SAFE_PROXY_FACTORY);
        _constructAt(
            _safeCreationCode("handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler"),
            SAFE_FALLBACK_HANDLER
        );
        // WETH9 from @uniswap/v2-periphery's build (name, symbol and decimals are constructor-initialised storage).
        // `vm.getCode` refuses this file (it holds `bytecode` twice), so its creation code is read as JSON here.
        string memory json = vm.readFile(WETH9_ARTIFACT);
        _constructAt(vm.parseBytes(string.concat("0x", vm.parseJsonString(json, ".evm.bytecode.object"))), WETH9);
        // The BAYC floor feed: Chainlink's MockV3Aggregator (@chainlink/contracts 1.2.0), 18 decimals like the real one.
        deployCodeTo("MockV3Aggregator.sol:MockV3Aggregator", abi.encode(uint8(18), REPLICA_FLOOR), BAYC_FLOOR_FEED);
        // BAYC: an ERC-721 with an open mint (the real one's sale is over; tests mint what a fork takes from holders).
        deployCodeTo("LocalAssets.sol:DemoApes", BAYC);
    }

    /// @dev Runs `creation` at `where` (constructor included) and leaves its runtime code there.
    function _constructAt(bytes memory creation, address where) internal {
        vm.etch(where, creation);
        (bool ok, bytes memory runtime) = where.call("");
        require(ok && runtime.length != 0, "ForkBase: constructor failed");
        vm.etch(where, runtime);
    }

    /// @dev What both modes must offer before the protocol is deployed on top; on a fork, a failure names the block's
    /// missing precondition (pick another FORK_BLOCK).
    function _checkMainnet() internal view {
        require(block.chainid == 1, "ForkBase: not chain 1");
        require(SEAPORT.code.length != 0 && CONDUIT_CONTROLLER.code.length != 0, "ForkBase: no Seaport 1.6 here");
        require(SAFE_SINGLETON.codehash == SAFE_SINGLETON_CODEHASH, "ForkBase: Safe singleton code differs");
        require(SAFE_PROXY_FACTORY.codehash == SAFE_PROXY_FACTORY_CODEHASH, "ForkBase: Safe factory code differs");
        require(SAFE_FALLBACK_HANDLER.codehash == SAFE_FALLBACK_HANDLER_CODEHASH, "ForkBase: fallback handler differs");
        require(WETH9.code.length != 0 && BAYC.code.length != 0, "ForkBase: no WETH9 or BAYC");
        (, int256 answer,, uint256 updatedAt,) = AggregatorV3Interface(BAYC_FLOOR_FEED).latestRoundData();
        require(answer > 0 && updatedAt + 1 days > block.timestamp, "ForkBase: BAYC floor feed not fresh at this block");
    }

    /*//////////////////////////////////////////////////////////////
                        MODE-DEPENDENT HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev A BAYC token for `to`: minted on the replica, taken from its current holder on a fork.
    function _giveApe(address to) internal returns (uint256 id) {
        id = nextApe++;
        if (forked) {
            address holder = DemoApes(BAYC).ownerOf(id);
            vm.prank(holder);
            DemoApes(BAYC).transferFrom(holder, to, id);
        } else {
            DemoApes(BAYC).mint(to, id);
        }
    }

    /// @dev The floor feed's current answer.
    function _floor() internal view returns (uint256) {
        (, int256 answer,,,) = AggregatorV3Interface(BAYC_FLOOR_FEED).latestRoundData();
        return uint256(answer);
    }

    /// @dev A new floor round as of now: the replica's aggregator is updated; on a fork the live feed's next round is
    /// mocked (nobody can push to the real feed), both as `latestRoundData` and as `getRoundData` of that round.
    function _setFloor(uint256 answer) internal {
        if (!forked) {
            MockV3Aggregator(BAYC_FLOOR_FEED).updateAnswer(int256(answer));
            return;
        }
        if (mockedRound == 0) (mockedRound,,,,) = AggregatorV3Interface(BAYC_FLOOR_FEED).latestRoundData();
        ++mockedRound;
        bytes memory round = abi.encode(mockedRound, int256(answer), block.timestamp, block.timestamp, mockedRound);
        vm.mockCall(BAYC_FLOOR_FEED, abi.encodeWithSelector(AggregatorV3Interface.latestRoundData.selector), round);
        vm.mockCall(BAYC_FLOOR_FEED, abi.encodeWithSignature("getRoundData(uint80)", mockedRound), round);
    }

    /*//////////////////////////////////////////////////////////////
                                SEAPORT
    //////////////////////////////////////////////////////////////*/

    /// @dev Next block, `dt` seconds later.
    function _step(uint256 dt) internal {
        vm.warp(block.timestamp + dt);
        vm.roll(block.number + 1);
    }

    /// @dev A signed Seaport listing of BAYC `id` by the owner of `sellerKey` for `price` in native ETH, fees included
    /// (97.5 % to the seller, 2.5 % to `feeRecipient`), open for a day, no conduit (the seller approves Seaport).
    function _listApe(uint256 sellerKey, uint256 id, uint256 price) internal returns (SeaportTypes.Order memory) {
        return _listApe(sellerKey, id, price, address(0));
    }

    /// @dev The same listing priced in `currency` (the zero address for native ETH, else an ERC-20 such as WETH9).
    function _listApe(
        uint256 sellerKey,
        uint256 id,
        uint256 price,
        address currency
    ) internal returns (SeaportTypes.Order memory order) {
        address seller = vm.addr(sellerKey);
        vm.prank(seller);
        DemoApes(BAYC).setApprovalForAll(SEAPORT, true);
        SeaportTypes.OfferItem[] memory offer = new SeaportTypes.OfferItem[](1);
        offer[0] = SeaportTypes.OfferItem(SeaportTypes.ItemType.ERC721, BAYC, id, 1, 1);
        order = _signedOrder(sellerKey, offer, _payment(seller, price, currency));
    }

    /// @dev `price` minus the fee to `seller`, the fee to `feeRecipient`, both in `currency` (zero: native ETH).
    function _payment(
        address seller,
        uint256 price,
        address currency
    ) internal view returns (SeaportTypes.ConsiderationItem[] memory c) {
        uint256 fee = price * FEE_BPS / 10_000;
        SeaportTypes.ItemType t = currency == address(0) ? SeaportTypes.ItemType.NATIVE : SeaportTypes.ItemType.ERC20;
        c = new SeaportTypes.ConsiderationItem[](2);
        c[0] = SeaportTypes.ConsiderationItem(t, currency, 0, price - fee, price - fee, payable(seller));
        c[1] = SeaportTypes.ConsiderationItem(t, currency, 0, fee, fee, payable(feeRecipient));
    }

    function _signedOrder(
        uint256 key,
        SeaportTypes.OfferItem[] memory offer,
        SeaportTypes.ConsiderationItem[] memory consideration
    ) internal returns (SeaportTypes.Order memory order) {
        address offerer = vm.addr(key);
        SeaportTypes.OrderComponents memory oc = SeaportTypes.OrderComponents({
            offerer: offerer,
            zone: address(0),
            offer: offer,
            consideration: consideration,
            orderType: SeaportTypes.OrderType.FULL_OPEN,
            startTime: block.timestamp,
            endTime: block.timestamp + 1 days,
            zoneHash: bytes32(0),
            salt: ++nextSalt,
            conduitKey: bytes32(0),
            counter: seaport.getCounter(offerer)
        });
        (, bytes32 domainSeparator,) = seaport.information();
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", domainSeparator, seaport.getOrderHash(oc)));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        order.parameters = SeaportTypes.OrderParameters({
            offerer: offerer,
            zone: address(0),
            offer: offer,
            consideration: consideration,
            orderType: SeaportTypes.OrderType.FULL_OPEN,
            startTime: oc.startTime,
            endTime: oc.endTime,
            zoneHash: bytes32(0),
            salt: oc.salt,
            conduitKey: bytes32(0),
            totalOriginalConsiderationItems: consideration.length
        });
        order.signature = abi.encodePacked(r, s, v);
    }

    /// @dev `buyer` fills `order` paying `value` in ETH; returns the transaction's logs.
    function _fill(
        SeaportTypes.Order memory order,
        address buyer,
        uint256 value
    ) internal returns (Vm.Log[] memory logs) {
        vm.deal(buyer, buyer.balance + value);
        vm.recordLogs();
        vm.prank(buyer);
        require(seaport.fulfillOrder{value: value}(order, bytes32(0)), "ForkBase: fill refused");
        logs = vm.getRecordedLogs();
    }

    /*//////////////////////////////////////////////////////////////
                       SALES INTO THE TWAP (oracle)
    //////////////////////////////////////////////////////////////*/

    /// @dev What the oracle service does with a transaction's logs: every `OrderFulfilled` the sale rules accept
    /// becomes a SaleReport for the current listing, signed by the reporter key and relayed by a stranger one block
    /// later. Returns how many were relayed.
    function _relaySales(Vm.Log[] memory logs) internal returns (uint256 relayed) {
        uint256 saleTime = block.timestamp;
        _step(12);
        for (uint256 i; i < logs.length; ++i) {
            if (!logs[i].isFill(market)) continue;
            (SaleRules.Outcome outcome, SaleRules.Sale memory sale) = SaleRules.classify(logs, i, market);
            if (outcome != SaleRules.Outcome.Sale) continue;
            IValuationAdmin.SaleReport memory report = IValuationAdmin.SaleReport({
                collection: sale.collection,
                price: sale.unitPrice,
                timestamp: saleTime,
                listingEpoch: valuation.listingEpoch(sale.collection),
                deadline: block.timestamp + 1 hours
            });
            bytes memory signature = _signReport(report);
            vm.prank(stranger);
            valuation.relaySale(report, signature);
            ++relayed;
        }
    }

    /// @dev The reporter's signature over `report`: by the oracle service's own signer (ts/lib/eip712.ts through
    /// ts/ffi/sign.ts, one `tsx` start each, ~1-2 s) when `serviceSigner` is set, else with `vm.sign` over the
    /// contract's digest (the two agree: test/differential/ValuationDifferential.t.sol).
    function _signReport(IValuationAdmin.SaleReport memory report) internal returns (bytes memory signature) {
        if (!serviceSigner) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(reporterKey, valuation.hashSaleReport(report));
            return abi.encodePacked(r, s, v);
        }
        bytes32 digest;
        (digest, signature) = FfiSigner.sign(
            "sale",
            abi.encode(
                block.chainid,
                address(valuation),
                report.collection,
                report.price,
                report.timestamp,
                report.listingEpoch,
                report.deadline
            ),
            reporterKey
        );
        require(digest == valuation.hashSaleReport(report), "ForkBase: the service signs another digest");
        require(ECDSA.tryRecover(digest, signature) == reporter, "ForkBase: the service signed with another key");
    }

    /// @dev One market sale of a fresh ape at `price` (fees included) in ETH on Seaport, `SALE_SPACING` after the
    /// last, relayed into the TWAP. Returns the buyer and the token.
    function _marketSale(uint256 price) internal returns (address buyer, uint256 id) {
        return _marketSale(price, address(0));
    }

    /// @dev The same sale paid in `currency` (zero: native ETH; WETH9: the buyer wraps ETH and approves Seaport).
    function _marketSale(uint256 price, address currency) internal returns (address buyer, uint256 id) {
        _step(SALE_SPACING);
        (address seller, uint256 sellerKey) = makeAddrAndKey(string.concat("seller", vm.toString(nextApe)));
        buyer = makeAddr(string.concat("buyer", vm.toString(nextApe)));
        id = _giveApe(seller);
        SeaportTypes.Order memory order = _listApe(sellerKey, id, price, currency);
        uint256 value = price;
        if (currency == WETH9) {
            vm.deal(buyer, price);
            vm.startPrank(buyer);
            weth.deposit{value: price}();
            weth.approve(SEAPORT, price);
            vm.stopPrank();
            value = 0;
        }
        Vm.Log[] memory logs = _fill(order, buyer, value);
        require(DemoApes(BAYC).ownerOf(id) == buyer, "ForkBase: sale did not deliver");
        require(_relaySales(logs) == 1, "ForkBase: market sale not relayed");
    }

    /// @dev Five market sales at `price`, 10 minutes apart (a 40-minute window over the 30-minute minimum): the
    /// TWAP is ready at `price`.
    function _seedTwap(uint256 price) internal {
        for (uint256 i; i < 5; ++i) {
            _step(10 minutes - SALE_SPACING);
            _marketSale(price);
        }
    }

    /// @dev A lender wraps `amount` ETH into WETH9 and deposits it.
    function _lend(uint256 amount) internal returns (address lender) {
        lender = makeAddr("lender");
        vm.deal(lender, amount);
        vm.startPrank(lender);
        weth.deposit{value: amount}();
        weth.approve(address(pool), amount);
        pool.deposit(amount, lender);
        vm.stopPrank();
    }

    /// @dev The most the default terms lend on one ape at unit price `unitPrice` (50 % LTV of 65 % of the price),
    /// less 1 % so rounding never decides the test.
    function _maxPrincipal(uint256 unitPrice) internal pure returns (uint256) {
        return unitPrice * 6500 / 10_000 * 5000 / 10_000 * 99 / 100;
    }
}
